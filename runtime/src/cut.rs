//! Cutting what users and callers record to the tracer's length limit:
//! span names, tag and log keys, baggage items and string values. Each
//! cut ends at a character boundary, is marked with [`TRUNCATION_MARKER`],
//! and copies only what is kept, so a 10 MB string costs no 10 MB copy.

use std::borrow::Cow;
use std::fmt;

use crate::text::Text;

/// Appended to a string tag that was cut to the configured length limit.
pub const TRUNCATION_MARKER: &str = "…[truncated]";

/// The longest prefix of `text` of at most `limit` bytes that ends at a
/// character boundary.
pub(crate) fn prefix(text: &str, limit: usize) -> &str {
    let mut end = limit.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// `text`, cut to `limit` bytes and marked when longer; a short
/// `'static` string stays borrowed, a long owned one is cut in place.
#[inline]
pub(crate) fn cow(text: Cow<'static, str>, limit: usize) -> Cow<'static, str> {
    if text.len() <= limit {
        return text;
    }
    cut_cow(text, limit)
}

/// [`cow`] for a text longer than `limit`.
#[cold]
#[inline(never)]
fn cut_cow(text: Cow<'static, str>, limit: usize) -> Cow<'static, str> {
    match text {
        Cow::Borrowed(text) => Cow::Owned(format!("{}{TRUNCATION_MARKER}", prefix(text, limit))),
        Cow::Owned(mut text) => {
            let end = prefix(&text, limit).len();
            text.truncate(end);
            text.push_str(TRUNCATION_MARKER);
            text.shrink_to_fit();
            Cow::Owned(text)
        }
    }
}

/// `text` as a tag string, cut to `limit` bytes (only the kept part is
/// copied).
#[inline]
pub(crate) fn text(text: &str, limit: usize) -> Text {
    if text.len() <= limit {
        Text::new(text)
    } else {
        cut_text(text, limit)
    }
}

/// [`text`] for a text known to be longer than `limit`.
#[cold]
#[inline(never)]
pub(crate) fn cut_text(text: &str, limit: usize) -> Text {
    Text::from(format!("{}{TRUNCATION_MARKER}", prefix(text, limit)))
}

/// `text`, an owned string, cut to `limit` bytes in place.
pub(crate) fn string(text: String, limit: usize) -> String {
    cow(Cow::Owned(text), limit).into_owned()
}

/// What `args` formats, written up to `limit` bytes: formatting stops
/// there, so a huge `Debug` or `Display` is neither produced nor copied
/// whole.
pub(crate) fn format(args: fmt::Arguments<'_>, limit: usize) -> Text {
    struct Bounded {
        out: String,
        limit: usize,
        cut: bool,
    }

    impl fmt::Write for Bounded {
        fn write_str(&mut self, piece: &str) -> fmt::Result {
            let room = self.limit - self.out.len();
            if piece.len() <= room {
                self.out.push_str(piece);
                return Ok(());
            }
            self.out.push_str(prefix(piece, room));
            self.cut = true;
            // Ends the formatting: nothing more is wanted.
            Err(fmt::Error)
        }
    }

    let mut bounded = Bounded {
        out: String::new(),
        limit,
        cut: false,
    };
    let _ = fmt::write(&mut bounded, args);
    if bounded.cut {
        bounded.out.push_str(TRUNCATION_MARKER);
    }
    Text::from(bounded.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_end_at_a_character_boundary_and_are_marked() {
        assert_eq!(prefix("ééé", 3), "é");
        assert_eq!(cow(Cow::Borrowed("short"), 10), "short");
        assert!(matches!(cow(Cow::Borrowed("short"), 10), Cow::Borrowed(_)));
        assert_eq!(
            cow(Cow::Borrowed("abcdef"), 3),
            format!("abc{TRUNCATION_MARKER}")
        );
        assert_eq!(
            cow(Cow::Owned("ééé".into()), 5),
            format!("éé{TRUNCATION_MARKER}")
        );
        assert_eq!(&*text("abcdef", 2), format!("ab{TRUNCATION_MARKER}"));
        assert_eq!(
            string("abcdef".into(), 4),
            format!("abcd{TRUNCATION_MARKER}")
        );
    }

    #[test]
    fn formatting_stops_at_the_limit() {
        struct Endless;
        impl fmt::Display for Endless {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                loop {
                    f.write_str("0123456789")?;
                }
            }
        }
        assert_eq!(
            &*format(format_args!("{}", Endless), 15),
            format!("012345678901234{TRUNCATION_MARKER}")
        );
        assert_eq!(&*format(format_args!("{}-{}", 1, 2), 15), "1-2");
    }
}
