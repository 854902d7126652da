//! Consumer-group administration for the console: reset committed offsets (a preview, then
//! apply) and delete a group.
//!
//! Routes: `POST /api/v1/groups/{id}/reset-offsets` (`{"topic"?: name (default: every topic
//! the group committed), "to": "earliest"|"latest"|"offset"|"timestamp"|"shift", "value"?:
//! N, "execute"?: bool}`) answers the plan (`current` and `new` offset per partition) and
//! commits it only with `execute`; `DELETE /api/v1/groups/{id}`.
//!
//! Invariants: as Kafka's `kafka-consumer-groups.sh --reset-offsets` (and `kalfka group
//! reset-offsets`): new offsets are clamped to [log start, high watermark] and only an
//! inactive group (Empty or Dead) is reset; the commit itself is one OffsetCommit with
//! generation -1 and no member (a share group's: one AlterShareGroupOffsets), handled by the
//! broker's own handler, and a delete is one DeleteGroups, so a group with members is refused
//! by the broker as the API refuses it.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::Json;
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::messages::alter_share_group_offsets_request::{
    AlterShareGroupOffsetsRequestPartition, AlterShareGroupOffsetsRequestTopic,
};
use kalfka_protocol::messages::{
    AlterShareGroupOffsetsRequest, DeleteGroupsRequest, OffsetCommitRequest,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{parse_body, ApiError};
use super::kafka::{blocking, broker, context};
use super::HttpState;
use crate::api;
use crate::groups::overview;
use crate::groups::reset_plan::{self, PlannedOffset};

/// `POST /api/v1/groups/{id}/reset-offsets` body.
#[derive(Debug, Deserialize)]
struct Reset {
    topic: Option<String>,
    to: String,
    value: Option<i64>,
    #[serde(default)]
    execute: bool,
}

/// `POST /api/v1/groups/{id}/reset-offsets`.
pub async fn reset_offsets(
    State(state): State<Arc<HttpState>>,
    Path(group): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let req: Reset = parse_body(&body)?;
    let b = broker(&state)?;
    let id = group.clone();
    let execute = req.execute;
    let (group_state, group_type, plan) = blocking(move || plan(&b, &id, &req)).await?;
    let active = group_state != "Empty" && group_state != "Dead";
    if execute {
        if active {
            return Err(ApiError::Kafka {
                code: ErrorCode::NonEmptyGroup,
                message: format!("assignments can only be reset if the group '{group}' is inactive, but the current state is {group_state}"),
            });
        }
        if group_type == "share" {
            alter_share(&state, &group, &plan).await?;
        } else {
            commit(&state, &group, &plan).await?;
        }
    }
    Ok(Json(json!({
        "group_id": group,
        "group_type": group_type,
        "state": group_state,
        "executed": execute,
        "plan": plan,
    })))
}

/// The group's state and type and the new offset of each partition `req` names.
fn plan(
    b: &crate::broker::Broker,
    group: &str,
    req: &Reset,
) -> Result<(String, &'static str, Vec<PlannedOffset>), ApiError> {
    let g = overview::one(b, group)
        .ok_or_else(|| ApiError::NotFound(format!("unknown group {group:?}")))?;
    let current: BTreeMap<(String, i32), i64> = g
        .offsets
        .iter()
        .map(|o| ((o.topic.clone(), o.partition), o.committed_offset))
        .collect();
    let mut targets: Vec<(String, i32)> = match &req.topic {
        Some(t) => {
            let topic = b
                .topics
                .get(t)
                .ok_or_else(|| ApiError::NotFound(format!("unknown topic {t:?}")))?;
            topic
                .partitions
                .iter()
                .map(|p| (t.clone(), p.index))
                .collect()
        }
        None => current.keys().cloned().collect(),
    };
    targets.sort();
    targets.dedup();
    let value = || {
        req.value
            .ok_or_else(|| ApiError::BadRequest(format!("to={} needs a value", req.to)))
    };
    let mut plan = Vec::with_capacity(targets.len());
    for (topic, index) in targets {
        let Some(partition) = b
            .topics
            .get(&topic)
            .and_then(|t| t.partition(index).cloned())
        else {
            continue;
        };
        let o = partition.offsets();
        let (start, end) = (o.log_start, o.log_end);
        let cur = current.get(&(topic.clone(), index)).copied();
        let wanted = match req.to.as_str() {
            "earliest" => start,
            "latest" => end,
            "offset" => value()?,
            "shift" => cur
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "cannot shift the offset of {topic}-{index}: the group has none committed"
                    ))
                })?
                .saturating_add(value()?),
            "timestamp" => partition
                .offset_for_timestamp(value()?)?
                .map_or(end, |(off, _)| off),
            other => {
                return Err(ApiError::BadRequest(format!(
                    "to={other:?}: expected earliest, latest, offset, timestamp or shift"
                )))
            }
        };
        plan.push(PlannedOffset {
            topic,
            partition: index,
            current: cur,
            new: wanted.clamp(start, end.max(start)),
        });
    }
    Ok((g.state, g.group_type, plan))
}

/// Sets a share group's start offsets with one AlterShareGroupOffsets.
async fn alter_share(
    state: &HttpState,
    group: &str,
    plan: &[PlannedOffset],
) -> Result<(), ApiError> {
    let ctx = context::<AlterShareGroupOffsetsRequest>(state, 0)?;
    let mut topics: BTreeMap<&str, Vec<AlterShareGroupOffsetsRequestPartition>> = BTreeMap::new();
    for p in plan {
        topics
            .entry(p.topic.as_str())
            .or_default()
            .push(AlterShareGroupOffsetsRequestPartition {
                partition_index: p.partition,
                start_offset: p.new,
            });
    }
    let request = AlterShareGroupOffsetsRequest {
        group_id: group.to_string(),
        topics: topics
            .into_iter()
            .map(|(name, partitions)| AlterShareGroupOffsetsRequestTopic {
                topic_name: name.to_string(),
                partitions,
            })
            .collect(),
    };
    let resp = api::share_offsets::alter(&ctx, request).await;
    ApiError::check(
        resp.error_code,
        resp.error_message,
        &format!("alter start offsets of {group}"),
    )?;
    for t in resp.responses {
        for p in t.partitions {
            ApiError::check(
                p.error_code,
                p.error_message,
                &format!(
                    "alter start offset of {}-{} for {group}",
                    t.topic_name, p.partition_index
                ),
            )?;
        }
    }
    Ok(())
}

/// Commits `plan` with one OffsetCommit (generation -1, no member), as an admin client does.
async fn commit(state: &HttpState, group: &str, plan: &[PlannedOffset]) -> Result<(), ApiError> {
    let ctx = context::<OffsetCommitRequest>(state, 8)?;
    let request = reset_plan::commit_request(group, plan);
    let resp = api::offsets::commit(&ctx, request).await;
    for t in resp.topics {
        for p in t.partitions {
            ApiError::check(
                p.error_code,
                None,
                &format!(
                    "commit offset of {}-{} for {group}",
                    t.name, p.partition_index
                ),
            )?;
        }
    }
    Ok(())
}

/// `DELETE /api/v1/groups/{id}`: deletes the group through DeleteGroups.
pub async fn delete(
    State(state): State<Arc<HttpState>>,
    Path(group): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let ctx = context::<DeleteGroupsRequest>(&state, 2)?;
    let resp = api::groups::delete_groups(
        &ctx,
        DeleteGroupsRequest {
            groups_names: vec![group.clone()],
        },
    )
    .await;
    let r = resp
        .results
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::Internal("empty DeleteGroups response".into()))?;
    ApiError::check(r.error_code, None, &format!("delete group {group}"))?;
    Ok(Json(json!({ "deleted": group })))
}
