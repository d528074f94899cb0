#![deny(warnings)]

use tracekit::traced;

trait Repository {
    async fn load(&self, id: u64) -> Option<String>;
    fn count(&self) -> usize;
}

struct Memory;

impl Repository for Memory {
    #[traced]
    async fn load(&self, id: u64) -> Option<String> {
        (id == 1).then(|| "one".to_owned())
    }

    #[traced]
    fn count(&self) -> usize {
        1
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn main() {
    assert_eq!(block_on(Memory.load(1)).as_deref(), Some("one"));
    assert_eq!(Memory.count(), 1);
}
