//! InitProducerId (key 22): producer ids for idempotent and transactional producers.
//!
//! Without a transactional id, as in Kafka, a request always gets a fresh producer id with
//! epoch 0, also when it names its current id and epoch (v3+): the partitions check the
//! sequences of each id (see [`crate::log::producer_state`]), so a fresh id is a fresh start.
//! With one, the transaction coordinator answers: the id's producer id with a new epoch,
//! which fences any earlier producer using the same transactional id and aborts the
//! transaction it left open (see [`crate::txn`]).

use std::sync::Arc;

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::{InitProducerIdRequest, InitProducerIdResponse};

use super::RequestContext;
use crate::error::BrokerError;
use crate::txn::state::FenceError;

/// First version whose clients know PRODUCER_FENCED.
const FIRST_PRODUCER_FENCED_VERSION: i16 = 4;

/// Answers InitProducerId.
pub async fn handle(ctx: &RequestContext, req: InitProducerIdRequest) -> InitProducerIdResponse {
    let result = match req.transactional_id.clone() {
        None => ctx.broker.producer_ids.allocate().map(|id| (id, 0)),
        Some(txn_id) => {
            let expected = (req.producer_id >= 0).then_some((req.producer_id, req.producer_epoch));
            let fence = if ctx.version() >= FIRST_PRODUCER_FENCED_VERSION {
                FenceError::ProducerFenced
            } else {
                FenceError::InvalidProducerEpoch
            };
            let broker = Arc::clone(&ctx.broker);
            let timeout = req.transaction_timeout_ms;
            tokio::task::spawn_blocking(move || {
                broker
                    .txns
                    .init_producer_id(broker.txn_deps(), &txn_id, timeout, expected, fence)
            })
            .await
            .unwrap_or_else(|e| Err(BrokerError::Storage(format!("transaction task: {e}"))))
        }
    };
    match result {
        Ok((producer_id, producer_epoch)) => InitProducerIdResponse {
            error_code: ErrorCode::None.code(),
            producer_id,
            producer_epoch,
            ..Default::default()
        },
        Err(e) => {
            tracing::debug!(transactional_id = ?req.transactional_id, error = %e, "InitProducerId refused");
            InitProducerIdResponse {
                error_code: e.code_i16(),
                producer_id: -1,
                producer_epoch: -1,
                ..Default::default()
            }
        }
    }
}
