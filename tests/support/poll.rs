//! Polling a future that completes without waiting, on this thread, with
//! no executor: what the test files that include this one need.

use std::future::Future;
use std::task::{Context, Poll, Waker};

/// Polls `future` once (allocating nothing); it must complete on that
/// poll.
pub fn poll_once<F: Future>(future: F) -> F::Output {
    let mut context = Context::from_waker(Waker::noop());
    match std::pin::pin!(future).poll(&mut context) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the future completes on its first poll"),
    }
}
