//! The string of a string tag: borrowed when `'static`, kept inline when
//! short, on the heap only when long. Recording a short borrowed string
//! (an argument `&str`, a `String`'s contents) therefore allocates nothing.

use std::borrow::Cow;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

/// Bytes a [`Text`] holds without allocating.
pub const INLINE_TEXT_LEN: usize = 22;

/// An immutable string as tags store it. Reads as a `str` (it derefs to
/// one); compares, hashes and prints as its contents.
///
/// ```
/// use tracekit_runtime::Text;
///
/// let short = Text::new("eu-west-1"); // copied inline, no allocation
/// assert_eq!(&*short, "eu-west-1");
/// assert_eq!(short, Text::from("eu-west-1"));
/// assert_eq!(Text::from(String::from("owned")).len(), 5);
/// ```
#[derive(Clone)]
pub struct Text(Repr);

/// `short` (at most [`INLINE_TEXT_LEN`] bytes) at the start of a zeroed
/// buffer. Two copies of a fixed size that overlap in the middle, the way
/// `memcpy` copies short runs, but inline: a call to `memcpy` would cost
/// more than the copy.
#[inline(always)]
fn copy_short(short: &[u8]) -> [u8; INLINE_TEXT_LEN] {
    #[inline(always)]
    fn ends<const N: usize>(short: &[u8], bytes: &mut [u8; INLINE_TEXT_LEN]) {
        let len = short.len();
        bytes[..N].copy_from_slice(&short[..N]);
        bytes[len - N..len].copy_from_slice(&short[len - N..]);
    }
    let mut bytes = [0; INLINE_TEXT_LEN];
    match short.len() {
        16.. => ends::<16>(short, &mut bytes),
        8.. => ends::<8>(short, &mut bytes),
        4.. => ends::<4>(short, &mut bytes),
        len => bytes[..len].copy_from_slice(short),
    }
    bytes
}

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Inline {
        len: u8,
        bytes: [u8; INLINE_TEXT_LEN],
    },
    Heap(Box<str>),
}

impl Text {
    /// A copy of `text`: inline up to [`INLINE_TEXT_LEN`] bytes, else on
    /// the heap.
    #[inline]
    pub fn new(text: &str) -> Text {
        if text.len() <= INLINE_TEXT_LEN {
            Text(Repr::Inline {
                len: text.len() as u8,
                bytes: copy_short(text.as_bytes()),
            })
        } else {
            Text::heap(text)
        }
    }

    /// A copy of a long `text`, on the heap; out of line, so the
    /// allocation is not compiled into every function that records a
    /// string.
    #[inline(never)]
    fn heap(text: &str) -> Text {
        Text(Repr::Heap(text.into()))
    }

    /// The length in bytes, read without looking at the bytes.
    ///
    /// ```
    /// assert_eq!(tracekit_runtime::Text::new("héllo").len(), 6);
    /// ```
    #[inline]
    pub fn len(&self) -> usize {
        match &self.0 {
            Repr::Static(text) => text.len(),
            Repr::Inline { len, .. } => usize::from(*len),
            Repr::Heap(text) => text.len(),
        }
    }

    /// Whether the text is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the text owns memory (it is on the heap): a copy then
    /// allocates, where a copy of the others is a copy of their bytes.
    /// Every variant is named, so a new one must say which it is.
    #[inline]
    pub(crate) fn owns_heap(&self) -> bool {
        match self.0 {
            Repr::Static(_) | Repr::Inline { .. } => false,
            Repr::Heap(_) => true,
        }
    }

    /// The text as a `str`.
    #[inline]
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(text) => text,
            // Only whole `str`s are copied in, so the bytes are UTF-8.
            Repr::Inline { len, bytes } => {
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Repr::Heap(text) => text,
        }
    }
}

impl Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for Text {
    fn from(text: &'static str) -> Text {
        Text(Repr::Static(text))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        if text.len() <= INLINE_TEXT_LEN {
            Text::new(&text)
        } else {
            Text(Repr::Heap(text.into_boxed_str()))
        }
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(text: Cow<'static, str>) -> Text {
        match text {
            Cow::Borrowed(text) => Text::from(text),
            Cow::Owned(text) => Text::from(text),
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_str().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_reads_back_the_same_text() {
        let long = "x".repeat(INLINE_TEXT_LEN + 1);
        let exact = "é".repeat(INLINE_TEXT_LEN / 2);
        for text in ["", "a", exact.as_str(), long.as_str()] {
            assert_eq!(Text::new(text).as_str(), text);
            assert_eq!(Text::from(text.to_owned()).as_str(), text);
        }
        assert_eq!(Text::from("static").as_str(), "static");
        assert_eq!(Text::from(Cow::Borrowed("cow")), Text::new("cow"));
    }

    #[test]
    fn a_short_copy_keeps_every_byte_at_every_length() {
        let source: Vec<u8> = (1..=INLINE_TEXT_LEN as u8).collect();
        for len in 0..=INLINE_TEXT_LEN {
            let bytes = copy_short(&source[..len]);
            assert_eq!(&bytes[..len], &source[..len], "length {len}");
            assert!(bytes[len..].iter().all(|&b| b == 0), "length {len}");
        }
    }

    #[test]
    fn short_text_is_inline_and_long_text_on_the_heap() {
        assert!(matches!(Text::new("short").0, Repr::Inline { .. }));
        assert!(matches!(
            Text::new(&"y".repeat(INLINE_TEXT_LEN + 1)).0,
            Repr::Heap(_)
        ));
        assert_eq!(size_of::<Text>(), 24);
    }
}
