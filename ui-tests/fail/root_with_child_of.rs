use tracekit::traced;

#[traced(root, child_of = parent)]
fn handle(parent: &tracekit::SpanContext) { let _ = parent; }

fn main() {}
