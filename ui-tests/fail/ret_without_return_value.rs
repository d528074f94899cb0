use tracekit::traced;

#[traced(ret)]
fn notify() {}

fn main() {}
