//! ApiVersions (key 18): which APIs and versions this broker serves, built from [`ROUTES`],
//! and (v3+) the features it supports and runs at ([`FEATURES`]), which `Admin.describeFeatures`
//! reads and clients use to pick protocol flows.

use bytes::{BufMut, BytesMut};
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::frame::{begin_frame, finish_frame};
use kalfka_protocol::messages::api_versions_response::{
    ApiVersion, FinalizedFeatureKey, SupportedFeatureKey,
};
use kalfka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse, Message};

use super::{DispatchOutcome, RequestContext, ROUTES};

/// A feature level this broker supports (`min..=max`) and runs at (`finalized`).
pub struct Feature {
    /// Kafka's feature name.
    pub name: &'static str,
    /// Lowest supported level.
    pub min: i16,
    /// Highest supported level.
    pub max: i16,
    /// The level in force.
    pub finalized: i16,
}

/// The features advertised, at levels whose promises the broker keeps:
/// - `metadata.version` 25 (4.0-IV3), the level of a Kafka 4.0 cluster;
/// - `group.version` 1: the KIP-848 consumer group protocol is served;
/// - `share.version` 1: share groups (KIP-932) are served;
/// - `transaction.version` 2 (KIP-890 part 2): transactional Produce v12 adds its partition
///   to the transaction, EndTxn v5 bumps the epoch, TxnOffsetCommit v5 adds its group.
pub static FEATURES: &[Feature] = &[
    Feature {
        name: "group.version",
        min: 0,
        max: 1,
        finalized: 1,
    },
    Feature {
        name: "metadata.version",
        min: 7,
        max: 25,
        finalized: 25,
    },
    Feature {
        name: "share.version",
        min: 0,
        max: 1,
        finalized: 1,
    },
    Feature {
        name: "transaction.version",
        min: 0,
        max: 2,
        finalized: 2,
    },
];

/// The epoch of the finalized features: they never change on this broker.
const FINALIZED_FEATURES_EPOCH: i64 = 1;

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

/// Whether `s` is a client software name or version Kafka accepts:
/// `[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?`.
fn valid_software_field(s: &str) -> bool {
    let alnum = |c: char| c.is_ascii_alphanumeric();
    s.starts_with(alnum)
        && s.ends_with(alnum)
        && s.chars().all(|c| alnum(c) || c == '-' || c == '.')
}

/// Answers ApiVersions. From v3 the client software name and version must be what Kafka
/// accepts, or the answer is INVALID_REQUEST (as Kafka answers).
pub async fn handle(ctx: &RequestContext, req: ApiVersionsRequest) -> ApiVersionsResponse {
    if ctx.version() >= 3
        && !(valid_software_field(&req.client_software_name)
            && valid_software_field(&req.client_software_version))
    {
        tracing::debug!(name = %req.client_software_name, version = %req.client_software_version, "ApiVersions with an invalid client software name or version");
        return ApiVersionsResponse {
            error_code: ErrorCode::InvalidRequest.code(),
            ..Default::default()
        };
    }
    ApiVersionsResponse {
        error_code: ErrorCode::None.code(),
        api_keys: advertised(),
        throttle_time_ms: 0,
        supported_features: FEATURES
            .iter()
            .map(|f| SupportedFeatureKey {
                name: f.name.to_string(),
                min_version: f.min,
                max_version: f.max,
            })
            .collect(),
        finalized_features_epoch: FINALIZED_FEATURES_EPOCH,
        finalized_features: FEATURES
            .iter()
            .map(|f| FinalizedFeatureKey {
                name: f.name.to_string(),
                max_version_level: f.finalized,
                min_version_level: f.finalized,
            })
            .collect(),
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

#[cfg(test)]
mod tests {
    use super::valid_software_field;

    #[test]
    fn client_software_fields_follow_kafkas_pattern() {
        for ok in [
            "librdkafka",
            "2.12.1",
            "apache-kafka-java",
            "4.0.0-rc1",
            "a",
        ] {
            assert!(valid_software_field(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "a b", "a_b", ".1"] {
            assert!(!valid_software_field(bad), "{bad}");
        }
    }
}
