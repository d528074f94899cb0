//! `Tags` for the types that are one tag (numbers, `bool`, `char`,
//! strings, `TagValue`, `Secret`), and for the types that hold one value
//! (references, boxes, `Option`).

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use super::{TagWriter, Tags};
use crate::secret::Secret;
use crate::tag::TagValue;

macro_rules! typed {
    ($write:ident as $wide:ty: $($t:ty),*) => {$(
        impl Tags for $t {
            #[inline]
            fn record_tags(&self, tags: &mut TagWriter<'_>) {
                tags.$write(<$wide>::from(*self));
            }
        }
    )*};
}
typed!(int as i64: i8, i16, i32, i64);
typed!(uint as u64: u8, u16, u32, u64);
typed!(float as f64: f32, f64);
typed!(boolean as bool: bool);

impl Tags for isize {
    #[inline]
    fn record_tags(&self, tags: &mut TagWriter<'_>) {
        tags.int(*self as i64);
    }
}

impl Tags for usize {
    #[inline]
    fn record_tags(&self, tags: &mut TagWriter<'_>) {
        tags.uint(*self as u64);
    }
}

impl Tags for str {
    #[inline]
    fn record_tags(&self, tags: &mut TagWriter<'_>) {
        tags.text(self);
    }
}

impl Tags for String {
    #[inline]
    fn record_tags(&self, tags: &mut TagWriter<'_>) {
        tags.text(self);
    }
}

impl Tags for Cow<'_, str> {
    #[inline]
    fn record_tags(&self, tags: &mut TagWriter<'_>) {
        tags.text(self);
    }
}

/// As one tag through their [`ToTag`](crate::ToTag).
macro_rules! by_to_tag {
    ($($t:ty),*) => {$(
        impl Tags for $t {
            fn record_tags(&self, tags: &mut TagWriter<'_>) {
                tags.value(self);
            }
        }
    )*};
}
by_to_tag!(char, i128, u128, TagValue);

/// Always `[redacted]`, whatever holds it.
impl<T> Tags for Secret<T> {
    fn record_tags(&self, tags: &mut TagWriter<'_>) {
        tags.value(self);
    }
}

macro_rules! by_what_it_holds {
    ($($holder:ty),*) => {$(
        impl<T: Tags + ?Sized> Tags for $holder {
            #[inline]
            fn record_tags(&self, tags: &mut TagWriter<'_>) {
                (**self).record_tags(tags);
            }
        }
    )*};
}
by_what_it_holds!(&T, &mut T, Box<T>, Rc<T>, Arc<T>);

/// What it holds; `None` records nothing.
impl<T: Tags> Tags for Option<T> {
    #[inline]
    fn record_tags(&self, tags: &mut TagWriter<'_>) {
        if let Some(value) = self {
            value.record_tags(tags);
        }
    }
}
