use tracekit::traced;

struct Ledger;

#[traced(skip_methods(audit))]
impl Ledger {
    #[traced(ret)]
    fn audit(&self) -> bool {
        true
    }
}

fn main() {
    Ledger.audit();
}
