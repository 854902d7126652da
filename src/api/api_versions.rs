//! ApiVersions (key 18): which APIs and versions this broker serves, built from [`ROUTES`].

use bytes::{BufMut, BytesMut};
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::frame::{begin_frame, finish_frame};
use kalfka_protocol::messages::api_versions_response::ApiVersion;
use kalfka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse, Message};

use super::{DispatchOutcome, RequestContext, ROUTES};

/// The advertised table, sorted by API key.
pub fn advertised() -> Vec<ApiVersion> {
    let mut keys: Vec<ApiVersion> = ROUTES
        .iter()
        .map(|r| ApiVersion {
            api_key: r.api_key,
            min_version: r.min_version,
            max_version: r.max_version,
        })
        .collect();
    keys.sort_by_key(|k| k.api_key);
    keys
}

/// Answers ApiVersions. Client software name and version are accepted as sent.
pub async fn handle(_ctx: &RequestContext, _req: ApiVersionsRequest) -> ApiVersionsResponse {
    ApiVersionsResponse {
        error_code: ErrorCode::None.code(),
        api_keys: advertised(),
        throttle_time_ms: 0,
        ..Default::default()
    }
}

/// The answer to an ApiVersions version newer than we know: response header v0 and a v0 body
/// with UNSUPPORTED_VERSION and our ranges, so the client retries with a version we list.
pub fn unsupported_version_response(correlation_id: i32) -> DispatchOutcome {
    let body = ApiVersionsResponse {
        error_code: ErrorCode::UnsupportedVersion.code(),
        api_keys: advertised(),
        ..Default::default()
    };
    let mut out = BytesMut::with_capacity(256);
    let at = begin_frame(&mut out);
    out.put_i32(correlation_id);
    if let Err(e) = body.encode(&mut out, 0) {
        return DispatchOutcome::Close(format!("cannot encode ApiVersions v0: {e}"));
    }
    if !finish_frame(&mut out, at) {
        return DispatchOutcome::Close("ApiVersions response too large".into());
    }
    DispatchOutcome::Respond(out.freeze())
}
