//! Writes the prost code of the OTLP trace messages into `src/proto/`.

use std::path::Path;

fn main() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let protos = crate_dir.join("proto");
    let out = crate_dir.join("src/proto");
    let service = "opentelemetry/proto/collector/trace/v1/trace_service.proto";
    let descriptors = protox::compile([service], [&protos]).expect("the protos compile");
    prost_build::Config::new()
        // The protos' comments hold code blocks that rustdoc would run as
        // doc tests; the `.proto` files beside are the reference.
        .disable_comments(["."])
        .out_dir(&out)
        .compile_fds(descriptors)
        .expect("prost writes the code");
    println!("wrote {}", out.display());
}
