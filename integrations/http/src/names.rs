//! Span names of routes, `{METHOD} {route}`, made once per route and
//! method rather than formatted for every request.
//!
//! The names are leaked: there is one per route template and method (the
//! method is one of HTTP's or `HTTP`), a set an application fixes, never
//! one per request. Past [`MOST`] names (an app that makes routes at run
//! time), a name is formatted per request instead.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::RwLock;

/// The most names kept.
const MOST: usize = 4096;

/// Each route's names, by method.
type Names = HashMap<Box<str>, Vec<(&'static str, &'static str)>>;

static NAMES: RwLock<Option<Names>> = RwLock::new(None);

/// `{method} {route}`.
pub(crate) fn route_name(method: &'static str, route: &str) -> Cow<'static, str> {
    if let Some(name) = known(method, route) {
        return Cow::Borrowed(name);
    }
    let name = format!("{method} {route}");
    let mut names = NAMES
        .write()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let names = names.get_or_insert_with(HashMap::new);
    if names.len() >= MOST {
        return Cow::Owned(name);
    }
    let methods = names.entry(route.into()).or_default();
    if let Some((_, name)) = methods.iter().find(|(m, _)| *m == method) {
        return Cow::Borrowed(name);
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    methods.push((method, leaked));
    Cow::Borrowed(leaked)
}

fn known(method: &'static str, route: &str) -> Option<&'static str> {
    let names = NAMES
        .read()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let methods = names.as_ref()?.get(route)?;
    methods
        .iter()
        .find(|(m, _)| *m == method)
        .map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_routes_name_is_made_once_and_shared() {
        let first = route_name("GET", "/names-test/{id}");
        let second = route_name("GET", "/names-test/{id}");
        assert_eq!(first, "GET /names-test/{id}");
        match (first, second) {
            (Cow::Borrowed(a), Cow::Borrowed(b)) => assert!(std::ptr::eq(a, b)),
            other => panic!("not shared: {other:?}"),
        }
        assert_eq!(
            route_name("POST", "/names-test/{id}"),
            "POST /names-test/{id}"
        );
    }
}
