use tracekit::Tags;

#[derive(Tags)]
struct Order {
    #[tags(rename = "")]
    id: u64,
}

fn main() {}
