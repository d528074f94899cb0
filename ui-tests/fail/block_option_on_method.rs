use tracekit::traced;

struct Ledger;

#[traced]
impl Ledger {
    #[traced(pub_only)]
    fn audit(&self) -> bool {
        true
    }
}

fn main() {
    Ledger.audit();
}
