use tracekit::traced;

#[traced(nme = "checkout")]
fn checkout() {}

fn main() {}
