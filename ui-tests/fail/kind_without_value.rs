use tracekit::traced;

#[traced(kind)]
fn call() {}

fn main() {}
