//! The console's way into the broker: the Kafka API handlers themselves, called in-process.
//!
//! Whatever the console changes (topics, partitions, configs, offsets, records, groups) goes
//! through the same handler a Kafka client's request reaches, with a request the console
//! builds, so validation, error codes and side effects cannot drift from the Kafka API. The
//! context names the client `kalfka-console` at the HTTP endpoint's own address.

use std::sync::Arc;

use kalfka_protocol::header::RequestHeader;
use kalfka_protocol::messages::Message;

use super::error::ApiError;
use super::HttpState;
use crate::api::RequestContext;
use crate::broker::Broker;
use crate::security::session::Session;

/// The client id the console's requests carry.
pub const CLIENT_ID: &str = "kalfka-console";

/// The attached broker, or [`ApiError::Starting`].
pub fn broker(state: &HttpState) -> Result<Arc<Broker>, ApiError> {
    state.broker().ok_or(ApiError::Starting)
}

/// A request context for a request of type `M` at `version`, as if a client had sent it.
pub fn context<M: Message>(state: &HttpState, version: i16) -> Result<RequestContext, ApiError> {
    Ok(RequestContext {
        broker: broker(state)?,
        header: RequestHeader {
            api_key: M::API_KEY,
            api_version: version,
            correlation_id: 0,
            client_id: Some(CLIENT_ID.to_string()),
        },
        peer: state.http_addr,
        session: Arc::new(Session::console(state.http_addr)),
    })
}

/// Runs `f` on the blocking pool (reads that walk logs or many partitions).
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::Internal(format!("console task failed: {e}")))?
}
