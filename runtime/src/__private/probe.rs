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

use super::ArgTags;
use crate::tag::{TagValue, ToTag};
use crate::tags::{TagWriter, Tags};

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

// --- arguments: `(&&&&Probe(&arg)).__tracekit_record(key, index, args)` ---
//
// An argument under a secret name (`args.is_secret(index)`, the runtime's
// policy decided once per call site) is recorded as `[redacted]`, if its
// type is recorded at all.

/// Arguments of a common type (numbers, `bool`, strings, and references
/// of those) are written through a typed entry of [`ArgTags`]: the value
/// travels in registers to a function compiled once, and nothing of the
/// conversion is compiled into each traced function. The tag is the one
/// [`ToTag`] gives.
pub trait ArgIsCommon {
    fn __tracekit_record(&self, key: &'static str, index: usize, args: &mut ArgTags);
}
impl<T: CommonArg + ?Sized> ArgIsCommon for &&&Probe<'_, T> {
    #[inline(always)]
    fn __tracekit_record(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        self.0.write(key, index, args);
    }
}

/// Arguments whose type implements [`Tags`] are recorded as its tags, one
/// per field, named `key.field`.
pub trait ArgIsTags {
    fn __tracekit_record(&self, key: &'static str, index: usize, args: &mut ArgTags);
}
impl<T: Tags + ?Sized> ArgIsTags for &&Probe<'_, T> {
    #[inline]
    fn __tracekit_record(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        if args.is_secret(index) {
            args.redacted(key);
        } else {
            self.0.record_tags(&mut TagWriter::new(args, key));
        }
    }
}

/// Other arguments whose type implements [`ToTag`] are recorded through
/// it, strings cut to the tracer's limit.
pub trait ArgIsOtherTag {
    fn __tracekit_record(&self, key: &'static str, index: usize, args: &mut ArgTags);
}
impl<T: ToTag + ?Sized> ArgIsOtherTag for &Probe<'_, T> {
    #[inline]
    fn __tracekit_record(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        let value = self.0.to_tag_within(args.limit());
        args.arg(key, index, value);
    }
}

/// Other arguments are not recorded.
pub trait ArgIsUnrecorded {
    fn __tracekit_record(self, key: &'static str, index: usize, args: &mut ArgTags);
}
impl<T: ?Sized> ArgIsUnrecorded for Probe<'_, T> {
    #[inline(always)]
    fn __tracekit_record(self, _: &'static str, _: usize, _: &mut ArgTags) {}
}

/// The types [`ArgIsCommon`] writes, each through its typed entry.
pub trait CommonArg {
    fn write(&self, key: &'static str, index: usize, args: &mut ArgTags);
}

macro_rules! common_arg {
    ($entry:ident as $wide:ty: $($t:ty),*) => {$(
        impl CommonArg for $t {
            #[inline(always)]
            fn write(&self, key: &'static str, index: usize, args: &mut ArgTags) {
                args.$entry(key, index, <$wide>::from(*self));
            }
        }
    )*};
}
common_arg!(int as i64: i8, i16, i32, i64);
common_arg!(uint as u64: u8, u16, u32, u64);
common_arg!(float as f64: f32, f64);
common_arg!(boolean as bool: bool);

impl CommonArg for isize {
    #[inline(always)]
    fn write(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        args.int(key, index, *self as i64);
    }
}

impl CommonArg for usize {
    #[inline(always)]
    fn write(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        args.uint(key, index, *self as u64);
    }
}

impl CommonArg for str {
    #[inline(always)]
    fn write(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        args.text(key, index, self);
    }
}

impl CommonArg for String {
    #[inline(always)]
    fn write(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        args.text(key, index, self);
    }
}

impl CommonArg for std::borrow::Cow<'_, str> {
    #[inline(always)]
    fn write(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        args.text(key, index, self);
    }
}

impl<T: CommonArg + ?Sized> CommonArg for &T {
    #[inline(always)]
    fn write(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        (**self).write(key, index, args);
    }
}

impl<T: CommonArg + ?Sized> CommonArg for &mut T {
    #[inline(always)]
    fn write(&self, key: &'static str, index: usize, args: &mut ArgTags) {
        (**self).write(key, index, args);
    }
}

// --- errors: `(&&&Probe(&out)).__tracekit_err()` ---

/// `Err` of an error type with `Display`.
pub trait ErrDisplay {
    fn __tracekit_err(&self) -> Option<ErrorInfo>;
}
impl<T, E: Display> ErrDisplay for &&Probe<'_, Result<T, E>> {
    // Out of line: compiled once per `Result` type, not into every
    // function returning it.
    #[inline(never)]
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
    // Out of line: compiled once per `Result` type, not into every
    // function returning it.
    #[inline(never)]
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
    // Out of line: compiled once per `Result` type, not into every
    // function returning it.
    #[inline(never)]
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
//
// Each gives the `return` tag, or the message of the panic a user's
// `ToTag` or `Debug` raised while it was read. Out of line: compiled once
// per return type.

/// What a `ret` probe found: the tag, or the message of a panic.
pub type RetTag = Result<Option<TagValue>, String>;

/// Runs `read`, a `ret` probe's look at the value; its panic becomes the
/// message.
fn ret_caught(read: impl FnOnce() -> Option<TagValue>) -> RetTag {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read))
        .map_err(|payload| crate::hooks::panic_message(&*payload).to_owned())
}

/// `Ok` value of a taggable type: recorded typed.
pub trait RetOkIsTag {
    fn __tracekit_ret(&self) -> RetTag;
}
impl<T: ToTag, E> RetOkIsTag for &&&Probe<'_, Result<T, E>> {
    #[inline(never)]
    fn __tracekit_ret(&self) -> RetTag {
        ret_caught(|| self.0.as_ref().ok()?.to_tag())
    }
}

/// A taggable value: recorded typed.
pub trait RetIsTag {
    fn __tracekit_ret(&self) -> RetTag;
}
impl<T: ToTag + ?Sized> RetIsTag for &&Probe<'_, T> {
    #[inline(never)]
    fn __tracekit_ret(&self) -> RetTag {
        ret_caught(|| self.0.to_tag())
    }
}

/// `Ok` value with `Debug`: recorded as its `Debug` text.
pub trait RetOkDebug {
    fn __tracekit_ret(&self) -> RetTag;
}
impl<T: Debug, E> RetOkDebug for &Probe<'_, Result<T, E>> {
    #[inline(never)]
    fn __tracekit_ret(&self) -> RetTag {
        ret_caught(|| Some(TagValue::from(format!("{:?}", self.0.as_ref().ok()?))))
    }
}

/// A value with `Debug`: recorded as its `Debug` text.
pub trait RetDebug {
    fn __tracekit_ret(&self) -> RetTag;
}
impl<T: Debug + ?Sized> RetDebug for Probe<'_, T> {
    #[inline(never)]
    fn __tracekit_ret(&self) -> RetTag {
        ret_caught(|| Some(TagValue::from(format!("{:?}", self.0))))
    }
}

/// Anything else: not recorded.
pub trait RetNone {
    fn __tracekit_ret(self) -> RetTag;
}
impl<T: ?Sized> RetNone for Probe<'_, T> {
    #[inline(always)]
    fn __tracekit_ret(self) -> RetTag {
        Ok(None)
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
        assert_eq!(
            (&&&&Probe(&ok)).__tracekit_ret(),
            Ok(Some(TagValue::I64(3)))
        );
        assert_eq!(
            (&&&&Probe(&ok_debug)).__tracekit_ret(),
            Ok(Some(TagValue::from("DebugOnly")))
        );
        assert_eq!(
            (&&&&Probe(&7i8)).__tracekit_ret(),
            Ok(Some(TagValue::I64(7)))
        );
        assert_eq!(
            (&&&&Probe(&vec![1])).__tracekit_ret(),
            Ok(Some(TagValue::from("[1]")))
        );
        assert_eq!((&&&&Probe(&Opaque)).__tracekit_ret(), Ok(None));
    }

    #[test]
    fn a_panic_while_a_return_value_is_read_becomes_its_message() {
        struct Faulty;
        impl std::fmt::Debug for Faulty {
            fn fmt(&self, _: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                panic!("faulty Debug")
            }
        }
        let read = (&&&&Probe(&Faulty)).__tracekit_ret();
        assert_eq!(read, Err("faulty Debug".to_owned()));
    }

    #[test]
    fn common_arguments_are_written_as_their_to_tag_gives_them() {
        let text = String::from("text");
        let mut args = ArgTags::with_limit(8, 1024);
        (&&&&Probe(&5u8)).__tracekit_record("a", 0, &mut args);
        (&&&&Probe(&u64::MAX)).__tracekit_record("b", 0, &mut args);
        (&&&&Probe(&-3isize)).__tracekit_record("c", 0, &mut args);
        (&&&&Probe(&1.5f32)).__tracekit_record("d", 0, &mut args);
        (&&&&Probe(&&text)).__tracekit_record("e", 0, &mut args);
        (&&&&Probe(&true)).__tracekit_record("f", 0, &mut args);
        (&&&&Probe(&'x')).__tracekit_record("g", 0, &mut args);
        (&&&&Probe(&Some(7u8))).__tracekit_record("h", 0, &mut args);
        (&&&&Probe(&Opaque)).__tracekit_record("i", 0, &mut args);
        let written = args.into_all().tags().to_vec();
        let expected = [
            ("a", 5u8.to_tag()),
            ("b", u64::MAX.to_tag()),
            ("c", (-3isize).to_tag()),
            ("d", 1.5f32.to_tag()),
            ("e", text.to_tag()),
            ("f", true.to_tag()),
            ("g", 'x'.to_tag()),
            ("h", Some(7u8).to_tag()),
        ];
        assert_eq!(written.len(), expected.len());
        for ((key, value), (expected_key, expected_value)) in written.iter().zip(expected) {
            assert_eq!(
                (key.as_ref(), Some(value)),
                (expected_key, expected_value.as_ref())
            );
        }
    }
}
