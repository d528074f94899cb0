use tracekit::traced;

struct Store;

impl Store {
    #[traced(skip(self))]
    fn load(&self) {}

    #[traced(skip(self, key))]
    fn get(&self, key: &str) -> usize {
        key.len()
    }
}

fn main() {
    Store.load();
    Store.get("k");
}
