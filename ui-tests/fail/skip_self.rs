use tracekit::traced;

struct Store;

impl Store {
    #[traced(skip(self))]
    fn load(&self) {}
}

fn main() {}
