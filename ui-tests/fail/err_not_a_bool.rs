use tracekit::traced;

#[traced(err = "no")]
fn query() -> Result<(), String> { Ok(()) }

fn main() {}
