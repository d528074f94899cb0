//! Polling a future that completes without waiting, on this thread, with
//! no executor: what the test files that include this one need.

use std::future::Future;
use std::task::{Context, Poll, Waker};

/// Polls `future` once (allocating nothing); it must complete on that
/// poll.
#[allow(dead_code)] // not every test file that includes this polls once
pub fn poll_once<F: Future>(future: F) -> F::Output {
    let mut context = Context::from_waker(Waker::noop());
    match std::pin::pin!(future).poll(&mut context) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("the future completes on its first poll"),
    }
}

/// Polls `future` until it completes, on this thread.
#[allow(dead_code)] // nor polls to the end
pub fn poll_to_end<F: Future>(future: F) -> F::Output {
    let mut context = Context::from_waker(Waker::noop());
    let mut future = std::pin::pin!(future);
    loop {
        if let Poll::Ready(out) = future.as_mut().poll(&mut context) {
            return out;
        }
    }
}

/// Pending once, then ready: a future that parks between two polls.
#[derive(Default)]
#[allow(dead_code)] // nor parks
pub struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, _: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            Poll::Pending
        }
    }
}
