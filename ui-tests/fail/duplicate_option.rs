use tracekit::traced;

#[traced(ret, ret)]
fn checkout() -> u32 { 1 }

fn main() {}
