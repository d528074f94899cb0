//! `?` in the body of a `#[track_caller]` traced function, which runs
//! inline and leaves through a labeled block (so the span sees the value):
//! what `?` does (`Try::branch`, `FromResidual::from_residual`, unstable in
//! the standard library) for every type it works on in stable Rust.

use std::convert::Infallible;
use std::ops::ControlFlow;
use std::task::Poll;

/// The value `?` goes on with, or what it leaves with.
pub trait Branch {
    /// What `?` evaluates to.
    type Output;
    /// What `?` leaves the function with, before conversion.
    type Residual;
    /// Continue with the output, or break with the residual.
    fn __tracekit_branch(self) -> ControlFlow<Self::Residual, Self::Output>;
}

/// The function's return value made from what `?` left with.
#[diagnostic::on_unimplemented(
    message = "the `?` operator cannot return `{R}` from a function that returns `{Self}`",
    label = "this function should return `Result` or `Option` to accept `?`"
)]
pub trait FromResidual<R> {
    /// The value the function returns.
    fn __tracekit_from_residual(residual: R) -> Self;
}

impl<T, E> Branch for Result<T, E> {
    type Output = T;
    type Residual = Result<Infallible, E>;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<Result<Infallible, E>, T> {
        match self {
            Ok(value) => ControlFlow::Continue(value),
            Err(error) => ControlFlow::Break(Err(error)),
        }
    }
}

impl<T, E, F: From<E>> FromResidual<Result<Infallible, E>> for Result<T, F> {
    #[inline(always)]
    fn __tracekit_from_residual(residual: Result<Infallible, E>) -> Self {
        match residual {
            Err(error) => Err(From::from(error)),
        }
    }
}

impl<T> Branch for Option<T> {
    type Output = T;
    type Residual = Option<Infallible>;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<Option<Infallible>, T> {
        match self {
            Some(value) => ControlFlow::Continue(value),
            None => ControlFlow::Break(None),
        }
    }
}

impl<T> FromResidual<Option<Infallible>> for Option<T> {
    #[inline(always)]
    fn __tracekit_from_residual(_: Option<Infallible>) -> Self {
        None
    }
}

impl<B, C> Branch for ControlFlow<B, C> {
    type Output = C;
    type Residual = ControlFlow<B, Infallible>;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<ControlFlow<B, Infallible>, C> {
        match self {
            ControlFlow::Continue(value) => ControlFlow::Continue(value),
            ControlFlow::Break(value) => ControlFlow::Break(ControlFlow::Break(value)),
        }
    }
}

impl<B, C> FromResidual<ControlFlow<B, Infallible>> for ControlFlow<B, C> {
    #[inline(always)]
    fn __tracekit_from_residual(residual: ControlFlow<B, Infallible>) -> Self {
        match residual {
            ControlFlow::Break(value) => ControlFlow::Break(value),
        }
    }
}

impl<T, E> Branch for Poll<Result<T, E>> {
    type Output = Poll<T>;
    type Residual = Result<Infallible, E>;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<Result<Infallible, E>, Poll<T>> {
        match self {
            Poll::Ready(Ok(value)) => ControlFlow::Continue(Poll::Ready(value)),
            Poll::Ready(Err(error)) => ControlFlow::Break(Err(error)),
            Poll::Pending => ControlFlow::Continue(Poll::Pending),
        }
    }
}

impl<T, E, F: From<E>> FromResidual<Result<Infallible, E>> for Poll<Result<T, F>> {
    #[inline(always)]
    fn __tracekit_from_residual(residual: Result<Infallible, E>) -> Self {
        match residual {
            Err(error) => Poll::Ready(Err(From::from(error))),
        }
    }
}

impl<T, E> Branch for Poll<Option<Result<T, E>>> {
    type Output = Poll<Option<T>>;
    type Residual = Result<Infallible, E>;
    #[inline(always)]
    fn __tracekit_branch(self) -> ControlFlow<Result<Infallible, E>, Poll<Option<T>>> {
        match self {
            Poll::Ready(Some(Ok(value))) => ControlFlow::Continue(Poll::Ready(Some(value))),
            Poll::Ready(Some(Err(error))) => ControlFlow::Break(Err(error)),
            Poll::Ready(None) => ControlFlow::Continue(Poll::Ready(None)),
            Poll::Pending => ControlFlow::Continue(Poll::Pending),
        }
    }
}

impl<T, E, F: From<E>> FromResidual<Result<Infallible, E>> for Poll<Option<Result<T, F>>> {
    #[inline(always)]
    fn __tracekit_from_residual(residual: Result<Infallible, E>) -> Self {
        match residual {
            Err(error) => Poll::Ready(Some(Err(From::from(error)))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `?` leaves with (`by_question`), and what `Branch` and
    /// `FromResidual` make of `value`, which must make `?` leave.
    fn same<T: Branch, R>(value: T, by_question: R)
    where
        R: FromResidual<T::Residual> + PartialEq + std::fmt::Debug,
    {
        let mirrored = match value.__tracekit_branch() {
            ControlFlow::Continue(_) => panic!("each value here makes `?` leave"),
            ControlFlow::Break(residual) => R::__tracekit_from_residual(residual),
        };
        assert_eq!(mirrored, by_question);
    }

    #[test]
    fn each_type_leaves_as_question_mark_does() {
        fn result() -> Result<u8, String> {
            Err::<u8, &str>("no")?;
            Ok(1)
        }
        same(Err::<u8, &str>("no"), result());
        fn option() -> Option<u8> {
            None::<u8>?;
            Some(1)
        }
        same(None::<u8>, option());
        fn flow() -> ControlFlow<u8, u16> {
            ControlFlow::<u8, u16>::Break(3)?;
            ControlFlow::Continue(1)
        }
        same(ControlFlow::<u8, u16>::Break(3), flow());
        fn poll() -> Poll<Result<u8, String>> {
            let _: Poll<u8> = Poll::<Result<u8, &str>>::Ready(Err("no"))?;
            Poll::Pending
        }
        same(Poll::<Result<u8, &str>>::Ready(Err("no")), poll());
        fn stream() -> Poll<Option<Result<u8, String>>> {
            let _: Poll<Option<u8>> = Poll::<Option<Result<u8, &str>>>::Ready(Some(Err("no")))?;
            Poll::Pending
        }
        same(
            Poll::<Option<Result<u8, &str>>>::Ready(Some(Err("no"))),
            stream(),
        );
    }
}
