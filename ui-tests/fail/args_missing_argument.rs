use tracekit::traced;

#[traced(args(id, nme))]
fn load(id: u64, name: &str) { let _ = (id, name); }

fn main() {}
