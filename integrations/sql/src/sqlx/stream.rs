//! The two streams the executors return: [`Recorded`] ends a statement's
//! span with what its rows stream says; [`Generated`] is a stream written
//! as an async block (the pool's: it takes a connection first, then lends
//! it to the statement's stream, which an ordinary stream adapter cannot
//! hold next to the connection it borrows).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use futures_core::Stream;
use futures_core::future::BoxFuture;
use sqlx::Either;

use super::database::{TracedDatabase, failed};
use crate::span::QuerySpan;

/// What a statement's stream yields: a statement's result or a row.
pub(super) type Step<DB> =
    Result<Either<<DB as sqlx::Database>::QueryResult, <DB as sqlx::Database>::Row>, sqlx::Error>;

/// A statement's stream of results and rows, recorded on its span: the
/// rows counted, an error recorded, the span ended at the stream's end (or
/// `cancelled` if the stream is dropped before anything came).
pub(super) struct Recorded<S, DB> {
    inner: S,
    span: QuerySpan,
    returned: u64,
    affected: u64,
    _database: std::marker::PhantomData<fn() -> DB>,
}

impl<S, DB> Recorded<S, DB> {
    pub(super) fn new(inner: S, span: QuerySpan) -> Self {
        Recorded {
            inner,
            span,
            returned: 0,
            affected: 0,
            _database: std::marker::PhantomData,
        }
    }
}

impl<S, DB> Stream for Recorded<S, DB>
where
    S: Stream<Item = Step<DB>> + Unpin,
    DB: TracedDatabase,
{
    type Item = Step<DB>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Step<DB>>> {
        let this = self.get_mut();
        let next = Pin::new(&mut this.inner).poll_next(cx);
        match &next {
            Poll::Pending => {}
            Poll::Ready(Some(Ok(Either::Left(result)))) => {
                this.affected += DB::rows_affected(result);
                this.span.answered();
            }
            Poll::Ready(Some(Ok(Either::Right(_)))) => {
                this.returned += 1;
                this.span.answered();
            }
            Poll::Ready(Some(Err(error))) => failed(&mut this.span, error),
            Poll::Ready(None) => {
                this.span.returned_rows(this.returned);
                // A query's result counts its rows again (PostgreSQL's
                // `SELECT 3`): only a statement that returned none
                // reports what it changed.
                if this.returned == 0 {
                    this.span.affected_rows(this.affected);
                }
                this.span.answered();
                // Ends the span now, not when the stream is dropped.
                drop(std::mem::replace(&mut this.span, QuerySpan::none()));
            }
        }
        next
    }
}

impl<S, DB> Drop for Recorded<S, DB> {
    fn drop(&mut self) {
        // Dropped after some rows (a caller that read what it needed):
        // the rows it read.
        if self.returned > 0 {
            self.span.returned_rows(self.returned);
        }
    }
}

/// A stream whose items an async block hands over one at a time, through
/// the [`Yielder`] it is given.
pub(super) struct Generated<'a, T> {
    slot: Arc<Mutex<Option<T>>>,
    body: Option<BoxFuture<'a, Result<(), sqlx::Error>>>,
}

/// How the async block of a [`Generated`] stream yields an item.
pub(super) struct Yielder<T> {
    slot: Arc<Mutex<Option<T>>>,
}

impl<T> Yielder<T> {
    /// Hands `item` over and waits until the stream has passed it on.
    pub(super) async fn send(&self, item: T) {
        *self.slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(item);
        HandedOver { slot: &self.slot }.await;
    }
}

/// Ready once the stream has taken the item.
struct HandedOver<'s, T> {
    slot: &'s Mutex<Option<T>>,
}

impl<T> Future for HandedOver<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<()> {
        // The stream takes the item when this returns pending, and polls
        // the block again on its next poll: no waker is needed.
        match self
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_some()
        {
            true => Poll::Pending,
            false => Poll::Ready(()),
        }
    }
}

impl<'a, T: Send + 'a> Generated<'a, Result<T, sqlx::Error>> {
    /// The stream of what `body` yields; an error it returns is the
    /// stream's last item.
    pub(super) fn new<F, Fut>(body: F) -> Self
    where
        F: FnOnce(Yielder<Result<T, sqlx::Error>>) -> Fut,
        Fut: Future<Output = Result<(), sqlx::Error>> + Send + 'a,
    {
        let slot = Arc::new(Mutex::new(None));
        let yielder = Yielder { slot: slot.clone() };
        Generated {
            slot,
            body: Some(Box::pin(body(yielder))),
        }
    }
}

impl<T> Stream for Generated<'_, Result<T, sqlx::Error>> {
    type Item = Result<T, sqlx::Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Some(body) = &mut this.body else {
            return Poll::Ready(None);
        };
        let done = body.as_mut().poll(cx);
        let item = this
            .slot
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        match (done, item) {
            (_, Some(item)) => {
                // The block stopped at its yield (it cannot have ended
                // with an item still in the slot): polled again next time.
                Poll::Ready(Some(item))
            }
            (Poll::Ready(result), None) => {
                this.body = None;
                Poll::Ready(result.err().map(Err))
            }
            (Poll::Pending, None) => Poll::Pending,
        }
    }
}
