//! Type-directed choices for generated code, made at compile time by method
//! resolution ("autoref specialization"): whether an argument is recorded,
//! whether a return value is an error and how it prints, how `ret` records.
//!
//! Each family has one method name implemented by several traits on
//! `Probe`, each on one more level of reference. Method lookup tries the
//! receiver `&&..&Probe` with the most references first, so the most
//! specific impl whose bounds hold wins. The traits must be in scope at the
//! call (generated code imports `probe::*`).

use std::fmt::{Debug, Display};

use crate::tag::{TagValue, ToTag};

/// Wraps a borrowed value for probing.
pub struct Probe<'a, T: ?Sized>(pub &'a T);

impl<T: ?Sized> Clone for Probe<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Probe<'_, T> {}

/// How a call that returned an error failed.
#[derive(Debug)]
pub struct ErrorInfo {
    /// The error's type name.
    pub type_name: &'static str,
    /// Its `Display`, else its `Debug`, else empty.
    pub message: String,
}

fn error_info<E>(message: String) -> ErrorInfo {
    ErrorInfo {
        type_name: std::any::type_name::<E>(),
        message,
    }
}

/// The error's text as `show` prints it. A panic in the user's formatter
/// is caught here, so the call is still recorded as failed, with a
/// message that says what happened instead of the text.
fn error_text<E: ?Sized>(error: &E, show: fn(&E) -> String) -> String {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| show(error))).unwrap_or_else(
        |payload| {
            let why = crate::hooks::panic_message(&*payload);
            format!("(the error's formatter panicked: {why})")
        },
    )
}

// --- arguments: `(&Probe(&arg)).__tracekit_arg()` ---

/// Arguments whose type implements [`ToTag`] are recorded, strings cut to
/// `limit` bytes (copying only what is kept).
pub trait ArgIsTag {
    fn __tracekit_arg(&self, limit: usize) -> Option<TagValue>;
}
impl<T: ToTag + ?Sized> ArgIsTag for Probe<'_, T> {
    #[inline]
    fn __tracekit_arg(&self, limit: usize) -> Option<TagValue> {
        self.0.to_tag_within(limit)
    }
}

/// Other arguments are not.
pub trait ArgIsOpaque {
    fn __tracekit_arg(self, limit: usize) -> Option<TagValue>;
}
impl<T: ?Sized> ArgIsOpaque for Probe<'_, T> {
    fn __tracekit_arg(self, _: usize) -> Option<TagValue> {
        None
    }
}

// --- errors: `(&&&Probe(&out)).__tracekit_err()` ---

/// `Err` of an error type with `Display`.
pub trait ErrDisplay {
    fn __tracekit_err(&self) -> Option<ErrorInfo>;
}
impl<T, E: Display> ErrDisplay for &&Probe<'_, Result<T, E>> {
    fn __tracekit_err(&self) -> Option<ErrorInfo> {
        self.0
            .as_ref()
            .err()
            .map(|e| error_info::<E>(error_text(e, |e| e.to_string())))
    }
}

/// `Err` of an error type with only `Debug`.
pub trait ErrDebug {
    fn __tracekit_err(&self) -> Option<ErrorInfo>;
}
impl<T, E: Debug> ErrDebug for &Probe<'_, Result<T, E>> {
    fn __tracekit_err(&self) -> Option<ErrorInfo> {
        self.0
            .as_ref()
            .err()
            .map(|e| error_info::<E>(error_text(e, |e| format!("{e:?}"))))
    }
}

/// `Err` of an error type that cannot print.
pub trait ErrOpaque {
    fn __tracekit_err(&self) -> Option<ErrorInfo>;
}
impl<T, E> ErrOpaque for Probe<'_, Result<T, E>> {
    fn __tracekit_err(&self) -> Option<ErrorInfo> {
        self.0
            .as_ref()
            .err()
            .map(|_| error_info::<E>(String::new()))
    }
}

/// Not a `Result`: never an error.
pub trait ErrNone {
    fn __tracekit_err(self) -> Option<ErrorInfo>;
}
impl<T: ?Sized> ErrNone for Probe<'_, T> {
    fn __tracekit_err(self) -> Option<ErrorInfo> {
        None
    }
}

// --- `ret`: `(&&&&Probe(&out)).__tracekit_ret()` ---

/// `Ok` value of a taggable type: recorded typed.
pub trait RetOkTag {
    fn __tracekit_ret(&self) -> Option<TagValue>;
}
impl<T: ToTag, E> RetOkTag for &&&Probe<'_, Result<T, E>> {
    fn __tracekit_ret(&self) -> Option<TagValue> {
        self.0.as_ref().ok()?.to_tag()
    }
}

/// A taggable value: recorded typed.
pub trait RetTag {
    fn __tracekit_ret(&self) -> Option<TagValue>;
}
impl<T: ToTag + ?Sized> RetTag for &&Probe<'_, T> {
    fn __tracekit_ret(&self) -> Option<TagValue> {
        self.0.to_tag()
    }
}

/// `Ok` value with `Debug`: recorded as its `Debug` text.
pub trait RetOkDebug {
    fn __tracekit_ret(&self) -> Option<TagValue>;
}
impl<T: Debug, E> RetOkDebug for &Probe<'_, Result<T, E>> {
    fn __tracekit_ret(&self) -> Option<TagValue> {
        Some(TagValue::from(format!("{:?}", self.0.as_ref().ok()?)))
    }
}

/// A value with `Debug`: recorded as its `Debug` text.
pub trait RetDebug {
    fn __tracekit_ret(&self) -> Option<TagValue>;
}
impl<T: Debug + ?Sized> RetDebug for Probe<'_, T> {
    fn __tracekit_ret(&self) -> Option<TagValue> {
        Some(TagValue::from(format!("{:?}", self.0)))
    }
}

/// Anything else: not recorded.
pub trait RetNone {
    fn __tracekit_ret(self) -> Option<TagValue>;
}
impl<T: ?Sized> RetNone for Probe<'_, T> {
    fn __tracekit_ret(self) -> Option<TagValue> {
        None
    }
}

#[cfg(test)]
// The extra borrows are the mechanism: each one selects a level.
#[allow(clippy::needless_borrow)]
mod tests {
    use super::*;

    struct Opaque;
    #[derive(Debug)]
    struct DebugOnly;
    struct Shown;
    impl Display for Shown {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("shown")
        }
    }

    #[test]
    fn arguments_are_recorded_only_for_taggable_types() {
        let n = 5u8;
        let s = String::from("x");
        assert_eq!((&Probe(&n)).__tracekit_arg(8), Some(TagValue::I64(5)));
        assert_eq!((&Probe(&&s)).__tracekit_arg(8), Some(TagValue::from("x")));
        assert_eq!((&Probe(&Opaque)).__tracekit_arg(8), None);
        assert_eq!((&Probe(&None::<u8>)).__tracekit_arg(8), None);
    }

    #[test]
    fn errors_print_with_display_then_debug_then_nothing() {
        let shown: Result<(), Shown> = Err(Shown);
        let debug: Result<(), DebugOnly> = Err(DebugOnly);
        let opaque: Result<(), Opaque> = Err(Opaque);
        let ok: Result<(), Shown> = Ok(());
        assert_eq!(
            (&&&Probe(&shown)).__tracekit_err().unwrap().message,
            "shown"
        );
        assert_eq!(
            (&&&Probe(&debug)).__tracekit_err().unwrap().message,
            "DebugOnly"
        );
        let info = (&&&Probe(&opaque)).__tracekit_err().unwrap();
        assert!(info.type_name.ends_with("Opaque"));
        assert!((&&&Probe(&ok)).__tracekit_err().is_none());
        assert!((&&&Probe(&5)).__tracekit_err().is_none());
    }

    #[test]
    fn return_values_are_typed_when_possible_and_debug_otherwise() {
        let ok: Result<u32, Shown> = Ok(3);
        let ok_debug: Result<DebugOnly, Shown> = Ok(DebugOnly);
        assert_eq!((&&&&Probe(&ok)).__tracekit_ret(), Some(TagValue::I64(3)));
        assert_eq!(
            (&&&&Probe(&ok_debug)).__tracekit_ret(),
            Some(TagValue::from("DebugOnly"))
        );
        assert_eq!((&&&&Probe(&7i8)).__tracekit_ret(), Some(TagValue::I64(7)));
        assert_eq!(
            (&&&&Probe(&vec![1])).__tracekit_ret(),
            Some(TagValue::from("[1]"))
        );
        assert_eq!((&&&&Probe(&Opaque)).__tracekit_ret(), None);
    }
}
