//! Where propagated values are written and read: HTTP headers and text maps.
//! Keys are matched without regard to case, as HTTP header names are, and
//! written in lower case.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// Something a context can be written into.
pub trait Injector {
    /// Sets `key` to `value`, replacing any earlier value of that key.
    fn set(&mut self, key: &str, value: String);
}

/// Something a context can be read from.
pub trait Extractor {
    /// Every value of `key` (any case), in order.
    fn get_all(&self, key: &str) -> Vec<&str>;

    /// Every key present, as stored.
    fn keys(&self) -> Vec<&str>;

    /// The first value of `key` (any case), and whether a different value
    /// of it follows: what a format that takes a single value reads. The
    /// default asks [`get_all`](Self::get_all); a carrier that can look a
    /// key up without collecting its values does so.
    fn first_value(&self, key: &str) -> (Option<&str>, bool) {
        let values = self.get_all(key);
        let first = values.first().copied();
        (
            first,
            first.is_some_and(|first| values.iter().any(|v| *v != first)),
        )
    }

    /// The comma-separated members of every value of `key`, in order:
    /// what a list header (W3C `baggage`) is read as. The default splits
    /// what [`get_all`](Self::get_all) returns; a carrier of raw bytes
    /// splits the bytes, and a member that is not UTF-8 comes with its bad
    /// bytes replaced by U+FFFD, so only the part of it that holds them
    /// fails to parse.
    fn list_members(&self, key: &str) -> Vec<Cow<'_, str>> {
        self.get_all(key)
            .into_iter()
            .flat_map(|value| value.split(','))
            .map(Cow::Borrowed)
            .collect()
    }

    /// Every `(key, value)` pair, as stored: what formats that carry one
    /// item per key (`uberctx-*`, `ot-baggage-*`) read, in one pass. The
    /// default asks [`get_all`](Self::get_all) for each key, which is
    /// quadratic in the number of keys for most carriers; the carriers
    /// here implement it directly.
    fn pairs(&self) -> Vec<(&str, &str)> {
        let mut keys = self.keys();
        keys.sort_unstable();
        keys.dedup();
        keys.into_iter()
            .flat_map(|key| self.get_all(key).into_iter().map(move |value| (key, value)))
            .collect()
    }
}

/// Collections of string pairs, which carry contexts the same way.
trait TextMap {
    fn pairs(&self) -> impl Iterator<Item = (&String, &String)>;
    fn remove_any_case(&mut self, key: &str);
    fn add(&mut self, key: String, value: String);
}

impl<T: TextMap> Injector for T {
    fn set(&mut self, key: &str, value: String) {
        self.remove_any_case(key);
        self.add(key.to_ascii_lowercase(), value);
    }
}

impl<T: TextMap> Extractor for T {
    fn get_all(&self, key: &str) -> Vec<&str> {
        TextMap::pairs(self)
            .filter(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    fn keys(&self) -> Vec<&str> {
        TextMap::pairs(self).map(|(k, _)| k.as_str()).collect()
    }

    fn pairs(&self) -> Vec<(&str, &str)> {
        TextMap::pairs(self)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }
}

/// The two standard maps have the same methods under the same names.
macro_rules! text_map_for_maps {
    ($($map:ident),*) => {$(
        impl TextMap for $map<String, String> {
            fn pairs(&self) -> impl Iterator<Item = (&String, &String)> {
                self.iter()
            }
            fn remove_any_case(&mut self, key: &str) {
                self.retain(|k, _| !k.eq_ignore_ascii_case(key));
            }
            fn add(&mut self, key: String, value: String) {
                self.insert(key, value);
            }
        }
    )*};
}
text_map_for_maps!(HashMap, BTreeMap);

impl TextMap for Vec<(String, String)> {
    fn pairs(&self) -> impl Iterator<Item = (&String, &String)> {
        self.iter().map(|(k, v)| (k, v))
    }
    fn remove_any_case(&mut self, key: &str) {
        self.retain(|(k, _)| !k.eq_ignore_ascii_case(key));
    }
    fn add(&mut self, key: String, value: String) {
        self.push((key, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_carrier_matches_keys_in_any_case_and_writes_lower_case() {
        let mut headers = http::HeaderMap::new();
        Injector::set(&mut headers, "X-B3-TraceId", "a".into());
        assert_eq!(Extractor::get_all(&headers, "x-b3-traceid"), ["a"]);

        let mut map = HashMap::new();
        map.insert("X-B3-TRACEID".to_owned(), "old".to_owned());
        Injector::set(&mut map, "X-B3-TraceId", "b".into());
        assert_eq!(map.len(), 1);
        assert_eq!(Extractor::get_all(&map, "X-b3-traceID"), ["b"]);

        let mut list: Vec<(String, String)> = vec![("Traceparent".into(), "1".into())];
        Injector::set(&mut list, "traceparent", "2".into());
        assert_eq!(list, [("traceparent".to_owned(), "2".to_owned())]);

        let mut tree = BTreeMap::new();
        Injector::set(&mut tree, "Baggage", "k=v".into());
        assert_eq!(Extractor::get_all(&tree, "BAGGAGE"), ["k=v"]);
    }

    #[test]
    fn a_first_value_is_read_alike_from_every_carrier_with_repeats_noticed() {
        let mut headers = http::HeaderMap::new();
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (key, value) in [
            ("TraceParent", "one"),
            ("traceparent", "one"),
            ("baggage", "a=1"),
        ] {
            headers.append(
                http::header::HeaderName::from_bytes(key.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
            pairs.push((key.to_owned(), value.to_owned()));
        }
        let carriers: [&dyn Extractor; 2] = [&headers, &pairs];
        for carrier in carriers {
            assert_eq!(carrier.first_value("traceparent"), (Some("one"), false));
            assert_eq!(carrier.first_value("BAGGAGE"), (Some("a=1"), false));
            assert_eq!(carrier.first_value("tracestate"), (None, false));
        }
        headers.append("traceparent", "two".parse().unwrap());
        pairs.push(("traceparent".to_owned(), "two".to_owned()));
        let carriers: [&dyn Extractor; 2] = [&headers, &pairs];
        for carrier in carriers {
            assert_eq!(carrier.first_value("traceparent"), (Some("one"), true));
        }
        // A value that is not text is no value, as `get_all` says.
        headers.insert(
            "tracestate",
            http::HeaderValue::from_bytes(b"caf\xc3\xa9").unwrap(),
        );
        assert_eq!(
            Extractor::first_value(&headers, "tracestate"),
            (None, false)
        );
    }

    #[test]
    fn list_members_of_raw_bytes_spoil_only_the_member_that_holds_them() {
        let mut headers = http::HeaderMap::new();
        headers.append(
            "baggage",
            http::HeaderValue::from_bytes(b"a=1,b=\x80;p,c=caf\xc3\xa9").unwrap(),
        );
        headers.append("baggage", http::HeaderValue::from_static("d=4"));
        assert_eq!(
            Extractor::list_members(&headers, "baggage"),
            ["a=1", "b=\u{FFFD};p", "c=café", "d=4"]
        );
        let pairs = vec![("Baggage".to_owned(), "a=1, b=2".to_owned())];
        assert_eq!(Extractor::list_members(&pairs, "baggage"), ["a=1", " b=2"]);
    }

    #[test]
    fn header_values_that_are_not_valid_are_never_written() {
        let mut headers = http::HeaderMap::new();
        Injector::set(&mut headers, "traceparent", "bad\r\nvalue".into());
        Injector::set(&mut headers, "bad name", "v".into());
        assert!(headers.is_empty());
    }
}
