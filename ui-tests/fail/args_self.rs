use tracekit::traced;

struct Store;

impl Store {
    #[traced(args(self))]
    fn load(&self) {}
}

fn main() {}
