#![deny(warnings)]

use tracekit::traced;

#[async_trait::async_trait]
trait Greeter {
    async fn greet(&self, name: &str) -> String;
}

struct English;

#[async_trait::async_trait]
impl Greeter for English {
    #[traced]
    async fn greet(&self, name: &str) -> String {
        format!("hello {name}")
    }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn main() {
    assert_eq!(block_on(English.greet("ada")), "hello ada");
}
