use tracekit::Tags;

#[derive(Tags)]
#[tags(crate = my_sdk::kit)]
struct Basket {
    count: u32,
}

fn main() {}
