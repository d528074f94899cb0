use tracekit::traced;

#[traced(tags(db.system = "postgresql", db.system = "mysql"))]
fn query() {}

fn main() {}
