//! InitProducerId (key 22): allocates producer ids for idempotent producers.
//!
//! As in Kafka, a request without a transactional id always gets a fresh producer id with
//! epoch 0, also when it names its current id and epoch (v3+): the partitions check the
//! sequences of each id (see [`crate::log::producer_state`]), so a fresh id is a fresh start.
//! Transactions are not served yet: a request with a transactional id is refused with
//! INVALID_REQUEST (and a log line) rather than pretending to be transactional.

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};

use super::RequestContext;

/// Answers InitProducerId with a fresh producer id and epoch 0.
pub async fn handle(ctx: &RequestContext, req: InitProducerIdRequest) -> InitProducerIdResponse {
    let fail = |code: ErrorCode| InitProducerIdResponse {
        error_code: code.code(),
        producer_id: -1,
        producer_epoch: -1,
        ..Default::default()
    };
    if let Some(txn) = req.transactional_id.as_deref() {
        tracing::warn!(
            transactional_id = txn,
            "transactional producers are not supported yet; refusing InitProducerId"
        );
        return fail(ErrorCode::InvalidRequest);
    }
    match ctx.broker.producer_ids.allocate() {
        Ok(id) => InitProducerIdResponse {
            error_code: ErrorCode::None.code(),
            producer_id: id,
            producer_epoch: 0,
            ..Default::default()
        },
        Err(e) => {
            tracing::error!(error = %e, "cannot allocate a producer id");
            fail(e.code())
        }
    }
}
