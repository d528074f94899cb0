#![deny(warnings)]

use tracekit::traced;

use std::future::Future;

#[traced]
fn later(value: u32) -> impl Future<Output = u32> + Send + 'static {
    async move { value + 1 }
}

#[traced]
fn borrowing<'a>(text: &'a str) -> impl Future<Output = usize> + 'a {
    async move { text.len() }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn main() {
    assert_eq!(block_on(later(1)), 2);
    assert_eq!(block_on(borrowing("abc")), 3);
}
