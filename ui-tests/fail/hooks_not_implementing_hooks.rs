use tracekit::traced;

struct NotHooks;

#[traced(hooks = NotHooks)]
fn query() {}

fn main() {}
