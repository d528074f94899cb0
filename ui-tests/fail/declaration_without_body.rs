use tracekit::traced;

trait Store {
    #[traced]
    fn load(&self, id: u64);
}

fn main() {}
