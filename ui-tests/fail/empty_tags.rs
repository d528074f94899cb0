use tracekit::traced;

#[traced(tags())]
fn query() {}

fn main() {}
