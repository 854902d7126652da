//! SaslHandshake (key 17) and SaslAuthenticate (key 36) on a listener without SASL.
//!
//! Kafka advertises both APIs on every listener; on one that needs no authentication they
//! reach the request handler and are answered with ILLEGAL_SASL_STATE, so a client configured
//! for SASL gets a clear error instead of a closed connection.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::{
    SaslAuthenticateRequest, SaslAuthenticateResponse, SaslHandshakeRequest, SaslHandshakeResponse,
};

use super::RequestContext;

/// SaslHandshake: this listener authenticates nobody, so no mechanism is enabled.
pub async fn handshake(ctx: &RequestContext, req: SaslHandshakeRequest) -> SaslHandshakeResponse {
    tracing::debug!(client_id = ?ctx.header.client_id, mechanism = %req.mechanism, "SaslHandshake on a listener without SASL");
    SaslHandshakeResponse {
        error_code: ErrorCode::IllegalSaslState.code(),
        mechanisms: Vec::new(),
    }
}

/// SaslAuthenticate: there is no authentication in progress (Kafka's answer and message).
pub async fn authenticate(
    _ctx: &RequestContext,
    _req: SaslAuthenticateRequest,
) -> SaslAuthenticateResponse {
    SaslAuthenticateResponse {
        error_code: ErrorCode::IllegalSaslState.code(),
        error_message: Some(
            "SaslAuthenticate request received after successful authentication".into(),
        ),
        ..Default::default()
    }
}
