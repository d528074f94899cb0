use tracekit::traced;

#[traced(skip(body, body))]
fn post(body: &str) { let _ = body; }

fn main() {}
