use tracekit::traced;

#[traced(crate = not_a_crate::tracekit)]
fn work() {}

fn main() {
    work();
}
