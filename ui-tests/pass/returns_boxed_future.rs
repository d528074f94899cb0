#![deny(warnings)]

use tracekit::traced;

use std::future::Future;
use std::pin::Pin;

#[traced]
fn boxed(value: u32) -> Pin<Box<dyn Future<Output = Result<u32, String>> + Send>> {
    Box::pin(async move { Ok(value) })
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn main() {
    assert_eq!(block_on(boxed(1)), Ok(1));
}
