use tracekit::Tags;

#[derive(Tags)]
struct Order {
    #[tags(hidden)]
    id: u64,
}

fn main() {}
