use tracekit::traced;

#[traced(name = "")]
fn query() {}

fn main() {}
