use tracekit::traced;

#[traced(skip_all = true)]
fn query(id: u64) { let _ = id; }

fn main() {}
