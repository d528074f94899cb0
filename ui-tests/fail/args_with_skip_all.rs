use tracekit::traced;

#[traced(args(id), skip_all)]
fn load(id: u64) { let _ = id; }

fn main() {}
