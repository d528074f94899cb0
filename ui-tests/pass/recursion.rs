#![deny(warnings)]

use tracekit::traced;

#[traced]
fn fib(n: u64) -> u64 {
    if n < 2 { n } else { fib(n - 1) + fib(n - 2) }
}

#[traced]
async fn async_fib(n: u64) -> u64 {
    if n < 2 { n } else { Box::pin(async_fib(n - 1)).await + Box::pin(async_fib(n - 2)).await }
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(future)
}

fn main() {
    assert_eq!(fib(10), 55);
    assert_eq!(block_on(async_fib(10)), 55);
}
