use tracekit::traced;

#[traced(kind = rpc)]
fn call() {}

fn main() {}
