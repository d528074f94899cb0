//! A tracer's exporters learn what produces its spans (the service, the
//! SDK, the attributes added) once, before their first batch.

use std::sync::{Arc, Mutex};

use tracekit::export::{ExportError, Exporter};
use tracekit::{Resource, SpanRecord, Tracer};

/// Keeps, in order, the resource it was told and the batches it got.
#[derive(Clone, Default)]
struct Watcher {
    seen: Arc<Mutex<Vec<Seen>>>,
}

#[derive(Debug)]
enum Seen {
    Resource(Resource),
    Batch(usize),
}

impl Exporter for Watcher {
    fn export(&mut self, batch: &[SpanRecord]) -> Result<(), ExportError> {
        self.seen.lock().unwrap().push(Seen::Batch(batch.len()));
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.seen
            .lock()
            .unwrap()
            .push(Seen::Resource(resource.clone()));
    }
}

#[test]
fn each_exporter_is_told_the_resource_once_before_its_first_batch() {
    let (first, second) = (Watcher::default(), Watcher::default());
    let tracer = Tracer::builder()
        .service_name("shop")
        .resource_attribute("service.name", "overridden by service_name")
        .resource_attribute("deployment.environment", "test")
        .exporter(first.clone())
        .exporter(second.clone())
        .build();
    tracer.span("work").start().finish();
    tracer.flush().unwrap();
    for watcher in [first, second] {
        let seen = watcher.seen.lock().unwrap();
        let [Seen::Resource(resource), Seen::Batch(1)] = &seen[..] else {
            panic!("{seen:?}");
        };
        assert_eq!(resource, tracer.resource());
        assert_eq!(resource.service_name(), "shop");
        let text = |key| resource.get(key).and_then(|v| v.as_str());
        assert_eq!(text("telemetry.sdk.name"), Some("tracekit"));
        assert_eq!(text("telemetry.sdk.language"), Some("rust"));
        assert_eq!(
            text("telemetry.sdk.version"),
            Some(env!("CARGO_PKG_VERSION"))
        );
        assert_eq!(text("deployment.environment"), Some("test"));
    }
}

#[test]
fn without_a_service_name_the_resource_attributes_or_the_default_name_it() {
    let named = Tracer::builder()
        .resource_attribute("service.name", "billing")
        .build();
    assert_eq!(named.service_name(), "billing");
    let unnamed = Tracer::builder().build();
    assert_eq!(unnamed.service_name(), "unknown_service");
}
