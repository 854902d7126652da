//! DescribeClientQuotas (key 48) and AlterClientQuotas (key 49). Quotas are stored durably but
//! not enforced (see [`crate::quotas`]).

use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::{
    alter_client_quotas_response, describe_client_quotas_response, AlterClientQuotasRequest,
    AlterClientQuotasResponse, DescribeClientQuotasRequest, DescribeClientQuotasResponse,
};

use super::RequestContext;
use crate::error::BrokerError;
use crate::quotas::{Entity, Match, QuotaOp, QuotaStore};

/// Describe filter match type: exact name.
const MATCH_EXACT: i8 = 0;
/// Describe filter match type: the default entity.
const MATCH_DEFAULT: i8 = 1;
/// Describe filter match type: any entity.
const MATCH_ANY: i8 = 2;

/// Describes the quotas of the entities matching the request's filter.
pub async fn describe(
    ctx: &RequestContext,
    req: DescribeClientQuotasRequest,
) -> DescribeClientQuotasResponse {
    let filters: Result<Vec<(String, Match)>, BrokerError> = req
        .components
        .into_iter()
        .map(|c| {
            let m = match (c.match_type, c.r#match) {
                (MATCH_EXACT, Some(name)) => Match::Exact(name),
                (MATCH_DEFAULT, _) => Match::Default,
                (MATCH_ANY, _) => Match::Any,
                (t, _) => {
                    return Err(BrokerError::InvalidRequest(format!(
                        "bad quota filter match type {t} for {}",
                        c.entity_type
                    )))
                }
            };
            Ok((c.entity_type, m))
        })
        .collect();
    match filters {
        Err(e) => DescribeClientQuotasResponse {
            throttle_time_ms: 0,
            error_code: e.code_i16(),
            error_message: Some(e.to_string()),
            entries: None,
        },
        Ok(filters) => DescribeClientQuotasResponse {
            throttle_time_ms: 0,
            error_code: ErrorCode::None.code(),
            error_message: None,
            entries: Some(
                ctx.broker
                    .quotas
                    .describe(&filters, req.strict)
                    .into_iter()
                    .map(
                        |(entity, values)| describe_client_quotas_response::EntryData {
                            entity: entity
                                .into_iter()
                                .map(|(entity_type, entity_name)| {
                                    describe_client_quotas_response::EntityData {
                                        entity_type,
                                        entity_name,
                                    }
                                })
                                .collect(),
                            values: values
                                .into_iter()
                                .map(|(key, value)| describe_client_quotas_response::ValueData {
                                    key,
                                    value,
                                })
                                .collect(),
                        },
                    )
                    .collect(),
            ),
        },
    }
}

/// Sets or removes quotas of entities (or only validates the changes).
pub async fn alter(
    ctx: &RequestContext,
    req: AlterClientQuotasRequest,
) -> AlterClientQuotasResponse {
    let entries = req
        .entries
        .into_iter()
        .map(|e| {
            let entity: Entity = e
                .entity
                .iter()
                .map(|x| (x.entity_type.clone(), x.entity_name.clone()))
                .collect();
            let ops: Vec<QuotaOp> = e
                .ops
                .into_iter()
                .map(|o| QuotaOp {
                    key: o.key,
                    value: o.value,
                    remove: o.remove,
                })
                .collect();
            let result = if entity.len() != e.entity.len() {
                Err(BrokerError::InvalidRequest(
                    "entity type listed twice".into(),
                ))
            } else if req.validate_only {
                QuotaStore::validate(&entity, &ops)
            } else {
                ctx.broker.quotas.alter(&entity, &ops)
            };
            let (error_code, error_message) = match result {
                Ok(()) => (ErrorCode::None.code(), None),
                Err(err) => (err.code_i16(), Some(err.to_string())),
            };
            alter_client_quotas_response::EntryData {
                error_code,
                error_message,
                entity: e
                    .entity
                    .into_iter()
                    .map(|x| alter_client_quotas_response::EntityData {
                        entity_type: x.entity_type,
                        entity_name: x.entity_name,
                    })
                    .collect(),
            }
        })
        .collect();
    AlterClientQuotasResponse {
        throttle_time_ms: 0,
        entries,
    }
}
