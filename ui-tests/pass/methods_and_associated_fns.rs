#![deny(warnings)]

use tracekit::traced;

struct Counter {
    count: u64,
}

impl Counter {
    #[traced]
    fn new() -> Self {
        Counter { count: 0 }
    }

    #[traced]
    fn get(&self) -> u64 {
        self.count
    }

    #[traced]
    fn bump(&mut self, by: u64) -> &mut u64 {
        self.count += by;
        &mut self.count
    }

    #[traced]
    fn into_count(self) -> u64 {
        self.count
    }

    #[traced]
    fn boxed(self: Box<Self>) -> u64 {
        self.count
    }
}

fn main() {
    let mut counter = Counter::new();
    *counter.bump(2) += 1;
    assert_eq!(counter.get(), 3);
    assert_eq!(Box::new(Counter::new()).boxed(), 0);
    assert_eq!(counter.into_count(), 3);
}
