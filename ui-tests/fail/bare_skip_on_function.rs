use tracekit::traced;

#[traced(skip)]
fn audit() -> bool {
    true
}

fn main() {
    audit();
}
