//! The keys of nested tags, `name.field`, joined once and kept for the
//! life of the process: tags carry `&'static str` keys, so a derived type
//! records its fields as cheaply as a function records its arguments.
//!
//! Names are `'static` (argument names, the name given to
//! `Span::set_tags`, field names, and keys joined here), so what is kept
//! is bounded by the distinct names in the program.

use std::collections::{HashMap, HashSet};
use std::sync::{Mutex, OnceLock, PoisonError, RwLock};

use crate::redaction::SecretNames;

/// `name.field`, or the one that is not empty. Kept once per distinct text.
pub(crate) fn joined(name: &'static str, field: &'static str) -> &'static str {
    if name.is_empty() {
        return field;
    }
    if field.is_empty() {
        return name;
    }
    // Answered by address under a read lock: the pair was nearly always
    // joined before.
    let address = (
        name.as_ptr() as usize,
        name.len(),
        field.as_ptr() as usize,
        field.len(),
    );
    let seen = SEEN.read().unwrap_or_else(PoisonError::into_inner);
    if let Some(key) = seen.as_ref().and_then(|seen| seen.get(&address)) {
        return key;
    }
    drop(seen);
    let key = interned(format!("{name}.{field}"));
    SEEN.write()
        .unwrap_or_else(PoisonError::into_inner)
        .get_or_insert_with(HashMap::new)
        .insert(address, key);
    key
}

/// The addresses and lengths of a name and a field.
type Pair = (usize, usize, usize, usize);

/// Joined keys by the addresses of their parts.
static SEEN: RwLock<Option<HashMap<Pair, &'static str>>> = RwLock::new(None);

/// The one kept copy of `text`.
fn interned(text: String) -> &'static str {
    static KEPT: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut kept = KEPT.lock().unwrap_or_else(PoisonError::into_inner);
    let kept = kept.get_or_insert_with(HashSet::new);
    if let Some(key) = kept.get(text.as_str()) {
        return key;
    }
    let key: &'static str = Box::leak(text.into_boxed_str());
    kept.insert(key);
    key
}

/// The keys of a derived type's fields, joined with each name the type is
/// recorded under: one table per type, a `static` in its impl. The first
/// few names are answered lock-free (a type is nearly always recorded
/// under one or two names); more go to a shared map.
pub struct KeyTable {
    fields: &'static [&'static str],
    names: [OnceLock<Keys>; 4],
    /// Which fields are secret (see [`crate::redaction`]).
    secret: SecretNames,
}

struct Keys {
    name: &'static str,
    keys: Box<[&'static str]>,
}

impl KeyTable {
    /// A table for the fields named `fields` (the segments of their keys).
    pub const fn new(fields: &'static [&'static str]) -> KeyTable {
        KeyTable {
            fields,
            names: [const { OnceLock::new() }; 4],
            secret: SecretNames::new(),
        }
    }

    /// Bit `i` is set when field `i` is recorded as `[redacted]` (its name
    /// is secret); decided once per change of the policy.
    #[inline]
    pub fn secret_mask(&self) -> u64 {
        self.secret.mask(self.fields)
    }

    /// Whether field `index` (past the mask's bits) is secret.
    pub fn is_secret(&self, index: usize) -> bool {
        self.secret.is_secret(self.fields, index)
    }

    /// The key of each field under `name`, in the order of `fields`.
    #[inline]
    pub fn keys(&'static self, name: &'static str) -> &'static [&'static str] {
        for slot in &self.names {
            let keys = match slot.get() {
                Some(keys) => keys,
                None => slot.get_or_init(|| self.join(name)),
            };
            if same_name(keys.name, name) {
                return &keys.keys;
            }
        }
        self.keys_overflowing(name)
    }

    fn join(&self, name: &'static str) -> Keys {
        Keys {
            name,
            keys: self
                .fields
                .iter()
                .map(|field| joined(name, field))
                .collect(),
        }
    }

    #[cold]
    #[inline(never)]
    fn keys_overflowing(&'static self, name: &'static str) -> &'static [&'static str] {
        type Overflow = HashMap<(usize, &'static str), &'static [&'static str]>;
        static OVERFLOW: Mutex<Option<Overflow>> = Mutex::new(None);
        let mut overflow = OVERFLOW.lock().unwrap_or_else(PoisonError::into_inner);
        let table = self as *const KeyTable as usize;
        overflow
            .get_or_insert_with(HashMap::new)
            .entry((table, name))
            .or_insert_with(|| Box::leak(self.join(name).keys))
    }
}

/// The same name: the same text, most often at the same address.
#[inline(always)]
fn same_name(a: &'static str, b: &'static str) -> bool {
    std::ptr::eq(a, b) || a == b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joined_keys_are_kept_once_per_text() {
        let name: &'static str = Box::leak(String::from("order").into_boxed_str());
        let first = joined("order", "id");
        assert_eq!(first, "order.id");
        assert!(std::ptr::eq(first, joined(name, "id")));
        assert_eq!(joined("", "id"), "id");
        assert_eq!(joined("order", ""), "order");
    }

    #[test]
    fn a_table_answers_every_name_a_type_is_recorded_under() {
        static TABLE: KeyTable = KeyTable::new(&["id", "total"]);
        let names = ["a", "b", "c", "d", "e", "f", "a", "f"];
        for name in names {
            let keys = TABLE.keys(name);
            assert_eq!(keys, [format!("{name}.id"), format!("{name}.total")]);
        }
        assert!(std::ptr::eq(TABLE.keys("f"), TABLE.keys("f")));
    }
}
