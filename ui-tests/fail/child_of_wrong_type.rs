use tracekit::traced;

#[traced(child_of = request_id)]
fn handle(request_id: u64) {}

fn main() {
    handle(7);
}
