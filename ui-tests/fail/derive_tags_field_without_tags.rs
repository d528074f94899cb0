use tracekit::Tags;

struct Warehouse {
    shelves: Vec<u32>,
}

#[derive(Tags)]
struct Order {
    id: u64,
    warehouse: Warehouse,
}

fn main() {}
