use tracekit::traced;

#[traced]
struct Checkout;

fn main() {}
