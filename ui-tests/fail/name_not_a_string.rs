use tracekit::traced;

#[traced(name = db_query)]
fn query() {}

fn main() {}
