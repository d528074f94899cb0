//! OTLP over gRPC (feature `grpc`): each batch is one unary call of
//! `opentelemetry.proto.collector.trace.v1.TraceService/Export`, with
//! tonic, on a runtime of the exporter's own (the exporter thread is not
//! async). The request is the bytes `wire` wrote, as for OTLP/HTTP: one
//! encoding path; tonic frames them through a codec of this module's own.

use std::time::Duration;

use http::uri::PathAndQuery;
use tonic::client::Grpc;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Channel, Endpoint};
use tracekit_runtime::export::ExportError;
use tracekit_transport::{Backoff, Compression, Retry};

use bytes::{BufMut, Bytes};
use tonic::codec::{BufferSettings, Codec, EncodeBuf, Encoder};
use tonic_prost::ProstDecoder;

use crate::config::ConfigError;
use crate::proto::collector::ExportTraceServiceResponse;

/// The method a batch is exported by.
const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// A gRPC client of an OTLP endpoint.
pub(crate) struct GrpcSender {
    runtime: tokio::runtime::Runtime,
    client: Grpc<Channel>,
    url: String,
    metadata: MetadataMap,
    timeout: Duration,
    retry: Retry,
}

impl GrpcSender {
    pub(crate) fn new(
        url: String,
        headers: &[(String, String)],
        timeout: Duration,
        retry: Retry,
        compression: Compression,
    ) -> Result<GrpcSender, ConfigError> {
        let refuse = |setting, reason: String| ConfigError::new(setting, reason);
        if !url.starts_with("http://") {
            return Err(refuse(
                "endpoint",
                format!("{url:?}: gRPC export takes an http:// URL (TLS is not supported yet)"),
            ));
        }
        let endpoint = Endpoint::from_shared(url.clone())
            .map_err(|err| refuse("endpoint", format!("{url:?}: {err}")))?
            .connect_timeout(timeout)
            .timeout(timeout);
        let mut metadata = MetadataMap::new();
        for (name, value) in headers {
            let key =
                MetadataKey::from_bytes(name.to_ascii_lowercase().as_bytes()).map_err(|_| {
                    refuse(
                        "header",
                        format!("{name:?} cannot be sent as gRPC metadata"),
                    )
                })?;
            let value = MetadataValue::try_from(value.as_str())
                .map_err(|_| refuse("header", format!("{name:?} has a value gRPC cannot send")))?;
            metadata.insert(key, value);
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|err| refuse("endpoint", format!("no runtime for gRPC: {err}")))?;
        // The channel connects on first use, inside the runtime.
        let channel = {
            let _entered = runtime.enter();
            endpoint.connect_lazy()
        };
        let mut client = Grpc::new(channel);
        if compression == Compression::Gzip {
            client = client.send_compressed(CompressionEncoding::Gzip);
        }
        Ok(GrpcSender {
            runtime,
            client,
            url,
            metadata,
            timeout,
            retry,
        })
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Exports `request`, trying again after a status that may pass
    /// (`UNAVAILABLE`, `RESOURCE_EXHAUSTED`, `DEADLINE_EXCEEDED`, ...) as
    /// the retry policy allows; returns the response.
    pub(crate) fn export(
        &mut self,
        request: Bytes,
    ) -> Result<ExportTraceServiceResponse, ExportError> {
        let mut backoff = Backoff::new(self.retry);
        loop {
            // A clone of `Bytes` shares them.
            match self.export_once(request.clone()) {
                Ok(response) => return Ok(response),
                Err(status) if passes(status.code()) => {
                    let error = status_error(&self.url, &status);
                    match backoff.next_wait(retry_delay(&status)) {
                        Some(wait) => std::thread::sleep(wait),
                        None => return Err(error),
                    }
                }
                Err(status) => return Err(status_error(&self.url, &status)),
            }
        }
    }

    fn export_once(&mut self, request: Bytes) -> Result<ExportTraceServiceResponse, tonic::Status> {
        let mut call = tonic::Request::new(request);
        *call.metadata_mut() = self.metadata.clone();
        call.set_timeout(self.timeout);
        let client = &mut self.client;
        self.runtime.block_on(async {
            client
                .ready()
                .await
                .map_err(|err| tonic::Status::unavailable(err.to_string()))?;
            let response = client
                .unary(call, PathAndQuery::from_static(EXPORT), Encoded)
                .await?;
            Ok(response.into_inner())
        })
    }
}

/// A request already encoded as a protobuf message, sent as it is; the
/// answer decoded by prost.
#[derive(Clone, Copy, Default)]
struct Encoded;

impl Codec for Encoded {
    type Encode = Bytes;
    type Decode = ExportTraceServiceResponse;
    type Encoder = Encoded;
    type Decoder = ProstDecoder<ExportTraceServiceResponse>;

    fn encoder(&mut self) -> Encoded {
        Encoded
    }

    fn decoder(&mut self) -> Self::Decoder {
        ProstDecoder::new(BufferSettings::default())
    }
}

impl Encoder for Encoded {
    type Item = Bytes;
    type Error = tonic::Status;

    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), tonic::Status> {
        dst.put(item);
        Ok(())
    }
}

/// Whether a call that failed with `code` may succeed later.
fn passes(code: tonic::Code) -> bool {
    use tonic::Code::*;
    matches!(
        code,
        Unavailable
            | ResourceExhausted
            | DeadlineExceeded
            | Aborted
            | OutOfRange
            | DataLoss
            | Cancelled
    )
}

fn status_error(url: &str, status: &tonic::Status) -> ExportError {
    ExportError::Backend(format!(
        "{url} answered {:?}: {}",
        status.code(),
        status.message()
    ))
}

/// The wait a failed call's status asks for: the `google.rpc.RetryInfo`
/// among the details of its `google.rpc.Status` (the
/// `grpc-status-details-bin` trailer), if there is one.
fn retry_delay(status: &tonic::Status) -> Option<Duration> {
    use prost::Message;
    let details = RpcStatus::decode(status.details()).ok()?;
    let info = details
        .details
        .iter()
        .find(|any| any.type_url.ends_with("/google.rpc.RetryInfo"))?;
    let delay = RetryInfo::decode(info.value.as_slice()).ok()?.retry_delay?;
    let seconds = u64::try_from(delay.seconds).ok()?;
    let nanos = u32::try_from(delay.nanos).ok()?;
    Some(Duration::new(seconds, nanos))
}

// The messages of a rich gRPC status, as googleapis declares them
// (google/rpc/status.proto, google/rpc/error_details.proto,
// google/protobuf/any.proto and duration.proto): only the fields read here.

/// `google.rpc.Status`.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
    #[prost(message, repeated, tag = "3")]
    details: Vec<ProtoAny>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
struct ProtoAny {
    #[prost(string, tag = "1")]
    type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, prost::Message)]
struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    retry_delay: Option<ProtoDuration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
struct ProtoDuration {
    #[prost(int64, tag = "1")]
    seconds: i64,
    #[prost(int32, tag = "2")]
    nanos: i32,
}

#[cfg(test)]
mod tests {
    use prost::Message;

    use super::*;

    #[test]
    fn the_retry_info_among_a_status_details_is_the_wait() {
        let info = RetryInfo {
            retry_delay: Some(ProtoDuration {
                seconds: 1,
                nanos: 500_000_000,
            }),
        };
        let details = RpcStatus {
            code: 14,
            message: "busy".into(),
            details: vec![ProtoAny {
                type_url: "type.googleapis.com/google.rpc.RetryInfo".into(),
                value: info.encode_to_vec(),
            }],
        };
        let status = tonic::Status::with_details(
            tonic::Code::Unavailable,
            "busy",
            details.encode_to_vec().into(),
        );
        assert_eq!(retry_delay(&status), Some(Duration::from_millis(1500)));
        assert_eq!(retry_delay(&tonic::Status::unavailable("busy")), None);
    }
}
