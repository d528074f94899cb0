//! What produces the spans: the service and the SDK, as OpenTelemetry's
//! resource. A tracer has one; its exporters are told it before their
//! first batch ([`Exporter::set_resource`](crate::export::Exporter::set_resource)).

use std::borrow::Cow;
use std::fmt;

use crate::propagation::{is_token, percent_decode};
use crate::record::Field;
use crate::tag::TagValue;

/// The attributes that describe what produced a tracer's spans:
/// `service.name`, the SDK (`telemetry.sdk.name = tracekit`,
/// `telemetry.sdk.language = rust`, `telemetry.sdk.version`), and any added
/// by the builder or `OTEL_RESOURCE_ATTRIBUTES`.
///
/// ```
/// use tracekit_runtime::Resource;
///
/// let resource = Resource::new("shop").with_attribute("deployment.environment", "test");
/// assert_eq!(resource.service_name(), "shop");
/// assert_eq!(resource.get("telemetry.sdk.name").and_then(|v| v.as_str()), Some("tracekit"));
/// assert_eq!(resource.get("deployment.environment").and_then(|v| v.as_str()), Some("test"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    /// One value per key; `service.name` first.
    attributes: Vec<Field>,
}

impl Resource {
    /// The resource of the service `service_name`, with the SDK's
    /// attributes.
    pub fn new(service_name: impl Into<String>) -> Resource {
        Resource {
            attributes: vec![
                (
                    Cow::Borrowed("service.name"),
                    TagValue::from(service_name.into()),
                ),
                (
                    Cow::Borrowed("telemetry.sdk.name"),
                    TagValue::from("tracekit"),
                ),
                (
                    Cow::Borrowed("telemetry.sdk.language"),
                    TagValue::from("rust"),
                ),
                (
                    Cow::Borrowed("telemetry.sdk.version"),
                    TagValue::from(env!("CARGO_PKG_VERSION")),
                ),
            ],
        }
    }

    /// Sets the attribute `key`, replacing an earlier value.
    pub fn with_attribute(
        mut self,
        key: impl Into<Cow<'static, str>>,
        value: impl Into<TagValue>,
    ) -> Resource {
        let (key, value) = (key.into(), value.into());
        match self.attributes.iter_mut().find(|(k, _)| *k == key) {
            Some((_, old)) => *old = value,
            None => self.attributes.push((key, value)),
        }
        self
    }

    /// `service.name`.
    pub fn service_name(&self) -> &str {
        self.get("service.name")
            .and_then(TagValue::as_str)
            .unwrap_or("unknown_service")
    }

    /// The value of the attribute `key`, if set.
    pub fn get(&self, key: &str) -> Option<&TagValue> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Every attribute, `service.name` first.
    pub fn attributes(&self) -> &[Field] {
        &self.attributes
    }
}

/// A member of `OTEL_RESOURCE_ATTRIBUTES` that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceAttributeError {
    /// The member as written.
    pub member: String,
    /// Why it was left out.
    pub reason: &'static str,
}

impl fmt::Display for ResourceAttributeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} left out: {}", self.member, self.reason)
    }
}

impl std::error::Error for ResourceAttributeError {}

/// Reads an `OTEL_RESOURCE_ATTRIBUTES` value, `key1=value1,key2=value2`:
/// keys are tokens, values percent-encoded, whitespace around either
/// ignored, empty members skipped. Every member that can be read is kept
/// (as a string attribute); each one that cannot comes back as an error,
/// to be reported, rather than failing the whole list.
///
/// ```
/// use tracekit_runtime::resource::parse_attributes;
///
/// let (attributes, errors) = parse_attributes("team=payments, owner=J%C3%B6rg,broken");
/// assert_eq!(attributes.len(), 2);
/// assert_eq!(attributes[1].1.as_str(), Some("Jörg"));
/// assert_eq!(errors[0].member, "broken");
/// ```
pub fn parse_attributes(list: &str) -> (Vec<Field>, Vec<ResourceAttributeError>) {
    let mut attributes = Vec::new();
    let mut errors = Vec::new();
    for member in list.split(',') {
        if member.trim().is_empty() {
            continue;
        }
        match parse_member(member) {
            Ok((key, value)) => attributes.push((Cow::Owned(key), TagValue::from(value))),
            Err(reason) => errors.push(ResourceAttributeError {
                member: member.trim().to_owned(),
                reason,
            }),
        }
    }
    (attributes, errors)
}

/// Reads one member of a `k=v,k2=v2` list, as `OTEL_RESOURCE_ATTRIBUTES`
/// and `OTEL_EXPORTER_OTLP_HEADERS` write them: the key a token, the value
/// percent-encoded, whitespace around either ignored. The error says what
/// is wrong.
///
/// ```
/// use tracekit_runtime::resource::parse_member;
///
/// assert_eq!(parse_member(" team = pay%20ments"), Ok(("team".into(), "pay ments".into())));
/// assert!(parse_member("no-equals-sign").is_err());
/// ```
pub fn parse_member(member: &str) -> Result<(String, String), &'static str> {
    let (key, value) = member.split_once('=').ok_or("no `=`")?;
    let key = key.trim();
    if !is_token(key) {
        return Err("the key is not a token");
    }
    let value = percent_decode(value.trim()).ok_or("a bad percent escape or invalid UTF-8")?;
    Ok((key.to_owned(), value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_resource_names_the_service_and_the_sdk() {
        let resource = Resource::new("shop");
        let keys: Vec<&str> = resource.attributes().iter().map(|(k, _)| &**k).collect();
        assert_eq!(
            keys,
            [
                "service.name",
                "telemetry.sdk.name",
                "telemetry.sdk.language",
                "telemetry.sdk.version"
            ]
        );
        assert_eq!(resource.service_name(), "shop");
    }

    #[test]
    fn an_attribute_set_twice_keeps_the_last_value() {
        let resource = Resource::new("a").with_attribute("service.name", "b");
        assert_eq!(resource.service_name(), "b");
        assert_eq!(resource.attributes().len(), 4);
    }

    #[test]
    fn members_are_trimmed_decoded_and_the_bad_ones_reported() {
        let (attributes, errors) =
            parse_attributes(" a = 1 ,, b=x%2Cy ,=v, c d=1, e=%zz, f=%FF, g");
        let read: Vec<(&str, &str)> = attributes
            .iter()
            .map(|(k, v)| (&**k, v.as_str().unwrap()))
            .collect();
        assert_eq!(read, [("a", "1"), ("b", "x,y")]);
        let left_out: Vec<&str> = errors.iter().map(|e| e.member.as_str()).collect();
        assert_eq!(left_out, ["=v", "c d=1", "e=%zz", "f=%FF", "g"]);
    }

    #[test]
    fn a_value_may_hold_an_equals_sign() {
        let (attributes, errors) = parse_attributes("query=a=b");
        assert!(errors.is_empty());
        assert_eq!(attributes[0].1.as_str(), Some("a=b"));
    }

    #[test]
    fn hostile_input_is_read_without_panicking() {
        let long = "k=".to_owned() + &"%41".repeat(100_000);
        let (attributes, _) = parse_attributes(&long);
        assert_eq!(attributes[0].1.as_str().map(str::len), Some(100_000));
        for text in ["%", "=%", ",,,", "k=%4", "k=\u{0}", "\u{feff}=x"] {
            let _ = parse_attributes(text);
        }
    }
}
