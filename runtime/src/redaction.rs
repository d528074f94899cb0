//! What is never recorded as it is: one policy of secret-looking names,
//! applied to the arguments of traced functions, the fields of derived
//! [`Tags`](crate::Tags) types and the headers the HTTP layers record.
//!
//! A name is secret when, in lower case with `-` read as `_`, it is one of
//! [`SECRET_NAMES`] or of the names added with
//! [`TracerBuilder::redact_names`](crate::TracerBuilder::redact_names), or
//! ends with `_` and one of them (`db_password`, `x-api-key`). A value
//! under a secret name is recorded as `"[redacted]"`. Names are only ever
//! added, and each call site decides once for its argument names (again
//! only after names are added), not at every call.
//!
//! ```
//! use tracekit_runtime::redaction::is_secret_name;
//!
//! assert!(is_secret_name("password"));
//! assert!(is_secret_name("DB_PASSWORD"));
//! assert!(is_secret_name("X-Api-Key"));
//! assert!(!is_secret_name("author"));
//! ```

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{PoisonError, RwLock};

/// The names secret from the start.
pub const SECRET_NAMES: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "access_key",
    "private_key",
    "authorization",
    "auth",
    "credential",
    "credentials",
    "cookie",
];

/// Names added at run time, normalised.
static ADDED: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Counts the additions, so a decision cached before one is made again.
static EPOCH: AtomicU32 = AtomicU32::new(1);

/// Whether a value named `name` is recorded as `"[redacted]"`.
pub fn is_secret_name(name: &str) -> bool {
    let name = normalised(name);
    let secret = |known: &str| {
        name == known
            || name
                .strip_suffix(known)
                .is_some_and(|head| head.ends_with('_'))
    };
    SECRET_NAMES.iter().any(|known| secret(known))
        || ADDED
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|known| secret(known))
}

/// Adds `names` to the secret names, for the whole process (what
/// [`TracerBuilder::redact_names`](crate::TracerBuilder::redact_names)
/// does when the tracer is built).
pub(crate) fn add_names<S: AsRef<str>>(names: impl IntoIterator<Item = S>) {
    let mut added = ADDED.write().unwrap_or_else(PoisonError::into_inner);
    let before = added.len();
    for name in names {
        let name = normalised(name.as_ref());
        if !name.is_empty() && !SECRET_NAMES.contains(&name.as_str()) && !added.contains(&name) {
            added.push(name);
        }
    }
    if added.len() != before {
        EPOCH.fetch_add(1, Ordering::Release);
    }
}

fn normalised(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace('-', "_")
}

/// Which of a fixed list of names are secret, decided once per addition
/// of names: a call site's arguments, a derived type's fields. Bit `i`
/// stands for name `i`; names past the 48th are checked each time.
pub struct SecretNames {
    /// The epoch the mask was decided at (0: never), and the mask.
    decided: AtomicU64,
}

/// The names a [`SecretNames`] mask covers; past them, names are checked
/// each time.
pub(crate) const SECRET_MASK_BITS: usize = 48;
const MASK_BITS: usize = SECRET_MASK_BITS;

impl SecretNames {
    /// Nothing decided yet.
    pub const fn new() -> SecretNames {
        SecretNames {
            decided: AtomicU64::new(0),
        }
    }

    /// The mask of the secret names among `names` (always the same list
    /// for one `SecretNames`).
    #[inline]
    pub fn mask<S: AsRef<str>>(&self, names: &[S]) -> u64 {
        let decided = self.decided.load(Ordering::Relaxed);
        let epoch = EPOCH.load(Ordering::Relaxed);
        if decided >> MASK_BITS == u64::from(epoch) {
            decided & ((1 << MASK_BITS) - 1)
        } else {
            self.decide(names, epoch)
        }
    }

    /// Whether name `index` of `names` is secret.
    #[inline]
    pub fn is_secret<S: AsRef<str>>(&self, names: &[S], index: usize) -> bool {
        if index < MASK_BITS {
            self.mask(names) & (1 << index) != 0
        } else {
            names
                .get(index)
                .is_some_and(|name| is_secret_name(name.as_ref()))
        }
    }

    #[cold]
    #[inline(never)]
    fn decide<S: AsRef<str>>(&self, names: &[S], epoch: u32) -> u64 {
        let mask = names
            .iter()
            .take(MASK_BITS)
            .enumerate()
            .filter(|(_, name)| is_secret_name(name.as_ref()))
            .fold(0, |mask, (i, _)| mask | 1 << i);
        self.decided
            .store(u64::from(epoch) << MASK_BITS | mask, Ordering::Relaxed);
        mask
    }
}

/// A copy knows what the original had decided.
impl Clone for SecretNames {
    fn clone(&self) -> Self {
        SecretNames {
            decided: AtomicU64::new(self.decided.load(Ordering::Relaxed)),
        }
    }
}

impl std::fmt::Debug for SecretNames {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SecretNames").finish_non_exhaustive()
    }
}

impl Default for SecretNames {
    fn default() -> Self {
        SecretNames::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_whole_or_as_a_suffix_in_any_case() {
        for secret in [
            "token",
            "Auth",
            "session_token",
            "x-api-key",
            "Set-Cookie",
            "proxy-authorization",
        ] {
            assert!(is_secret_name(secret), "{secret}");
        }
        for plain in ["author", "tokens", "user", "passwords_count", "key"] {
            assert!(!is_secret_name(plain), "{plain}");
        }
    }

    #[test]
    fn a_mask_is_decided_again_after_names_are_added() {
        static NAMES: SecretNames = SecretNames::new();
        let names = ["user", "token", "ssn_of_unit_test"];
        assert_eq!(NAMES.mask(&names), 0b010);
        add_names(["ssn_of_unit_test"]);
        assert_eq!(NAMES.mask(&names), 0b110);
        assert!(NAMES.is_secret(&names, 2));
    }
}
