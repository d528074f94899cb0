use tracekit::traced;

#[traced(tags(rows))]
fn query() {}

fn main() {}
