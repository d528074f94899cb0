//! Texts a span records at every call (its name, the query summary, the
//! sanitized text, the namespace) kept once for the life of the process,
//! so that recording them copies nothing: statements are few and their
//! summaries fewer. Bounded: past the budget, texts are copied at each
//! use instead.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::{PoisonError, RwLock};

/// Texts kept at most.
const MAX_TEXTS: usize = 4096;
/// Bytes kept at most.
const MAX_BYTES: usize = 1 << 20;

struct Kept {
    texts: HashSet<&'static str>,
    bytes: usize,
}

static KEPT: RwLock<Option<Kept>> = RwLock::new(None);

/// `text` as kept for the process, or copied when the budget is spent.
pub(crate) fn intern(text: &str) -> Cow<'static, str> {
    if let Some(kept) = KEPT.read().unwrap_or_else(PoisonError::into_inner).as_ref()
        && let Some(found) = kept.texts.get(text)
    {
        return Cow::Borrowed(found);
    }
    let mut kept = KEPT.write().unwrap_or_else(PoisonError::into_inner);
    let kept = kept.get_or_insert_with(|| Kept {
        texts: HashSet::new(),
        bytes: 0,
    });
    if let Some(found) = kept.texts.get(text) {
        return Cow::Borrowed(found);
    }
    if kept.texts.len() >= MAX_TEXTS || kept.bytes + text.len() > MAX_BYTES {
        return Cow::Owned(text.to_owned());
    }
    let leaked: &'static str = Box::leak(Box::from(text));
    kept.texts.insert(leaked);
    kept.bytes += text.len();
    Cow::Borrowed(leaked)
}

#[cfg(test)]
mod tests {
    use super::intern;
    use std::borrow::Cow;

    #[test]
    fn a_text_is_kept_once() {
        let (Cow::Borrowed(a), Cow::Borrowed(b)) = (intern("SELECT stock"), intern("SELECT stock"))
        else {
            panic!("kept")
        };
        assert!(std::ptr::eq(a, b));
    }
}
