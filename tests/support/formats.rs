//! The propagation formats the propagation tests go through, shared by the
//! test files that include this one.

use std::sync::Arc;

use tracekit::propagation::{Composite, Propagator};

/// Each format, named as in `OTEL_PROPAGATORS`, its propagator, and
/// whether it carries baggage.
pub fn formats() -> Vec<(&'static str, Arc<dyn Propagator>, bool)> {
    [
        ("tracecontext,baggage", true),
        ("b3", false),
        ("b3multi", false),
        ("jaeger", true),
    ]
    .into_iter()
    .map(|(names, carries_baggage)| {
        let format: Arc<dyn Propagator> =
            Arc::new(Composite::from_names(names).expect("known formats"));
        (names, format, carries_baggage)
    })
    .collect()
}
