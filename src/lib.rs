//! tracekit (placeholder crate docs; replaced below)
pub use tracekit_macros::traced;
pub use tracekit_runtime::*;
