//! What can stand for a span's parent: the values `#[traced(child_of = ..,
//! follows_from = ..)]` accept.

use crate::identity::SpanContext;

/// A value that names a span context to start a span under (or to follow
/// from): a [`SpanContext`], a [`Span`](crate::Span), a [`SpanRef`](crate::SpanRef), a [`Context`](crate::Context), a
/// reference to one, or an `Option` of one, where `None` names no parent.
///
/// ```
/// use tracekit_runtime::{AsParent, SpanContext, SpanId, TraceId};
///
/// let context = SpanContext::new(TraceId::from_u128(1), SpanId::new(2).unwrap(), true);
/// assert_eq!(Some(&context).as_parent(), Some(context.clone()));
/// assert_eq!(None::<SpanContext>.as_parent(), None);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot name a span's parent",
    label = "expected a span context here",
    note = "`child_of` and `follows_from` take a `SpanContext`, `Span`, `SpanRef` or `Context`, a reference to one, or an `Option` of one (`None`: no parent)"
)]
pub trait AsParent {
    /// The context it names, if any.
    fn as_parent(&self) -> Option<SpanContext>;
}

impl AsParent for SpanContext {
    fn as_parent(&self) -> Option<SpanContext> {
        Some(self.clone())
    }
}

impl<T: AsParent> AsParent for Option<T> {
    fn as_parent(&self) -> Option<SpanContext> {
        self.as_ref()?.as_parent()
    }
}

impl<T: AsParent + ?Sized> AsParent for &T {
    fn as_parent(&self) -> Option<SpanContext> {
        (**self).as_parent()
    }
}
