use tracekit::Tags;

#[derive(Tags)]
struct Order {
    #[tags(debug, display)]
    id: u64,
}

fn main() {}
