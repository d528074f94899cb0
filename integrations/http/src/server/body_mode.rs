//! What becomes of a request's body on its way to the service: passed as
//! it is, or wrapped to copy its first bytes.

use super::body::RequestBody;

/// What becomes of a request's body on its way to the service:
/// [`PassRequest`] or [`CaptureRequest`].
pub trait RequestBodyMode: sealed::Sealed + Send + Sync + 'static {
    /// The body the service gets.
    type Body<B>;

    /// Wraps `body`, with the capture of its first bytes if there is one.
    #[doc(hidden)]
    fn wrap<B>(body: B, capture: Option<sealed::Capture>) -> Self::Body<B>;
}

pub(super) mod sealed {
    /// The modes are this crate's: `RequestBodyMode` names a type no one
    /// else can build.
    pub trait Sealed {}

    /// A request body's capture, and where it is left for its span when
    /// the body ends.
    pub struct Capture(
        pub(crate) crate::capture::Captured,
        pub(crate) crate::capture::Slot,
    );
}

/// Request bodies go to the service as they are.
#[derive(Debug)]
pub enum PassRequest {}

impl sealed::Sealed for PassRequest {}

impl RequestBodyMode for PassRequest {
    type Body<B> = B;

    fn wrap<B>(body: B, _: Option<sealed::Capture>) -> B {
        body
    }
}

/// Request bodies go to the service in a [`RequestBody`] that copies their
/// first bytes.
#[derive(Debug)]
pub enum CaptureRequest {}

impl sealed::Sealed for CaptureRequest {}

impl RequestBodyMode for CaptureRequest {
    type Body<B> = RequestBody<B>;

    fn wrap<B>(body: B, capture: Option<sealed::Capture>) -> RequestBody<B> {
        RequestBody::new(
            body,
            capture.map(|sealed::Capture(captured, slot)| (captured, slot)),
        )
    }
}

pub(crate) use sealed::Capture;
