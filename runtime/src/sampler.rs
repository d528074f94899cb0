//! Samplers: which traces are recorded.

use std::fmt;

use crate::identity::{SpanContext, TraceId};

/// Decides whether a new span is recorded. An unsampled span still has a
/// context that propagates (with the sampled flag off), so downstream
/// services agree not to record the trace either.
///
/// ```
/// use tracekit_runtime::Sampler;
///
/// // Keep a quarter of new traces; follow the caller's decision otherwise.
/// let sampler = Sampler::parent_based(Sampler::ratio(0.25));
/// assert_eq!(sampler.to_string(), "parent_based(ratio(0.25))");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Sampler {
    /// Record every span.
    Always,
    /// Record nothing.
    Never,
    /// Record this fraction of traces, decided from the trace id alone so
    /// every service with the same ratio makes the same decision.
    Ratio(f64),
    /// Follow the parent's sampled flag; ask the inner sampler for roots.
    ParentBased(Box<Sampler>),
}

impl Sampler {
    /// Records every span.
    pub const fn always() -> Sampler {
        Sampler::Always
    }

    /// Records nothing.
    pub const fn never() -> Sampler {
        Sampler::Never
    }

    /// Records `fraction` of traces (clamped to 0..=1; NaN counts as 0).
    pub fn ratio(fraction: f64) -> Sampler {
        let fraction = if fraction.is_nan() {
            0.0
        } else {
            fraction.clamp(0.0, 1.0)
        };
        Sampler::Ratio(fraction)
    }

    /// Follows the parent when there is one, `root` otherwise.
    pub fn parent_based(root: Sampler) -> Sampler {
        Sampler::ParentBased(Box::new(root))
    }

    /// Whether a span with this parent in this trace is recorded.
    pub fn should_sample(&self, parent: Option<&SpanContext>, trace_id: TraceId) -> bool {
        self.decide(parent.map(SpanContext::is_sampled), trace_id)
    }

    /// [`should_sample`](Self::should_sample) given only what it reads of
    /// the parent: whether there is one, and its sampled flag.
    #[inline]
    pub(crate) fn decide(&self, parent_sampled: Option<bool>, trace_id: TraceId) -> bool {
        match self {
            Sampler::Always => true,
            Sampler::Never => false,
            Sampler::Ratio(fraction) => ratio_keeps(*fraction, trace_id),
            Sampler::ParentBased(root) => match parent_sampled {
                Some(sampled) => sampled,
                None => root.decide(None, trace_id),
            },
        }
    }

    /// [`decide`](Self::decide) for a child of a parent in this process
    /// whose sampled flag is `parent_sampled`: the samplers that follow
    /// the parent answer with one comparison.
    #[inline(always)]
    pub(crate) fn decide_child(&self, parent_sampled: bool, trace_id: TraceId) -> bool {
        if let Sampler::ParentBased(_) = self {
            return parent_sampled;
        }
        self.decide(Some(parent_sampled), trace_id)
    }

    /// Whether every child of an unsampled parent stays unsampled, in any
    /// trace (the samplers that follow the parent, and `Never`).
    #[inline(always)]
    pub(crate) fn keeps_unsampled_children(&self) -> bool {
        matches!(self, Sampler::ParentBased(_) | Sampler::Never)
    }

    /// Reads the `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` pair.
    ///
    /// ```
    /// use tracekit_runtime::Sampler;
    ///
    /// assert_eq!(
    ///     Sampler::from_otel("parentbased_traceidratio", Some("0.5")),
    ///     Ok(Sampler::parent_based(Sampler::ratio(0.5)))
    /// );
    /// assert!(Sampler::from_otel("sometimes", None).is_err());
    /// ```
    pub fn from_otel(name: &str, arg: Option<&str>) -> Result<Sampler, SamplerError> {
        let ratio = || match arg {
            None => Ok(1.0),
            Some(text) => match text.trim().parse::<f64>() {
                Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
                _ => Err(SamplerError::BadRatio(text.to_owned())),
            },
        };
        Ok(match name.trim() {
            "always_on" => Sampler::always(),
            "always_off" => Sampler::never(),
            "traceidratio" => Sampler::ratio(ratio()?),
            "parentbased_always_on" => Sampler::parent_based(Sampler::always()),
            "parentbased_always_off" => Sampler::parent_based(Sampler::never()),
            "parentbased_traceidratio" => Sampler::parent_based(Sampler::ratio(ratio()?)),
            other => return Err(SamplerError::UnknownSampler(other.to_owned())),
        })
    }
}

impl Default for Sampler {
    /// `parent_based(always())`, the OpenTelemetry default.
    fn default() -> Self {
        Sampler::parent_based(Sampler::always())
    }
}

/// The OpenTelemetry rule (as in the Python and Java SDKs): keep the trace
/// when the low 64 bits of its id fall under `fraction * 2^64`.
fn ratio_keeps(fraction: f64, trace_id: TraceId) -> bool {
    if fraction >= 1.0 {
        return true;
    }
    // `as` saturates, so a fraction just under 1 cannot wrap around.
    let bound = (fraction * 2f64.powi(64)).round() as u64;
    (trace_id.to_u128() as u64) < bound
}

impl fmt::Display for Sampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sampler::Always => f.write_str("always"),
            Sampler::Never => f.write_str("never"),
            Sampler::Ratio(fraction) => write!(f, "ratio({fraction})"),
            Sampler::ParentBased(root) => write!(f, "parent_based({root})"),
        }
    }
}

/// A sampler setting that could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SamplerError {
    /// The sampler name is not one of the OpenTelemetry names.
    UnknownSampler(String),
    /// The ratio is not a number between 0 and 1.
    BadRatio(String),
}

impl fmt::Display for SamplerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SamplerError::UnknownSampler(name) => write!(
                f,
                "unknown sampler {name:?}: expected always_on, always_off, traceidratio, \
                 parentbased_always_on, parentbased_always_off or parentbased_traceidratio"
            ),
            SamplerError::BadRatio(text) => {
                write!(f, "sampler ratio {text:?} is not a number between 0 and 1")
            }
        }
    }
}

impl std::error::Error for SamplerError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn trace(low: u64) -> TraceId {
        TraceId::from_u128((0xdead_u128 << 64) | u128::from(low))
    }

    #[test]
    fn ratio_is_decided_by_the_low_64_bits_of_the_trace_id() {
        let half = Sampler::ratio(0.5);
        assert!(half.should_sample(None, trace(0)));
        assert!(half.should_sample(None, trace((1 << 63) - 1)));
        assert!(!half.should_sample(None, trace(1 << 63)));
        assert!(Sampler::ratio(1.0).should_sample(None, trace(u64::MAX)));
        assert!(!Sampler::ratio(0.0).should_sample(None, trace(0)));
    }

    #[test]
    fn ratio_keeps_about_the_asked_fraction() {
        let sampler = Sampler::ratio(0.25);
        let kept = (0..10_000u64)
            .filter(|i| sampler.should_sample(None, trace(i.wrapping_mul(0x9e37_79b9_7f4a_7c15))))
            .count();
        assert!((2_200..2_800).contains(&kept), "kept {kept} of 10000");
    }

    #[test]
    fn parent_based_follows_the_parent_and_asks_the_root_sampler_otherwise() {
        let sampler = Sampler::parent_based(Sampler::never());
        let id = crate::identity::SpanId::new(1).unwrap();
        let sampled = SpanContext::new(trace(1), id, true);
        let unsampled = SpanContext::new(trace(1), id, false);
        assert!(sampler.should_sample(Some(&sampled), trace(1)));
        assert!(!sampler.should_sample(Some(&unsampled), trace(1)));
        assert!(!sampler.should_sample(None, trace(1)));
    }

    #[test]
    fn bad_env_values_are_errors_not_panics() {
        assert_eq!(
            Sampler::from_otel("traceidratio", Some("1.5")),
            Err(SamplerError::BadRatio("1.5".into()))
        );
        assert!(Sampler::from_otel("traceidratio", Some("abc")).is_err());
        assert_eq!(Sampler::from_otel("always_off", None), Ok(Sampler::never()));
    }
}
