//! `kalfka group describe` for share groups (KIP-932): members, and per partition the
//! share-partition start offset, the log end and the lag (records not yet acknowledged or
//! archived), as ShareGroupDescribe and DescribeShareGroupOffsets report them.

use kalfka_protocol::messages::describe_share_group_offsets_request::DescribeShareGroupOffsetsRequestGroup;
use kalfka_protocol::messages::*;
use serde_json::json;

use super::client::{CliError, Client};
use super::output::{emit, Table};

/// Describes `group` if it is a share group; `Ok(false)` if it is not one (or the broker
/// serves no share groups), so that the caller describes it as another kind of group.
pub async fn describe(
    coordinator: &mut Client,
    client: &mut Client,
    group: &str,
    json: bool,
) -> Result<bool, CliError> {
    if coordinator
        .version::<ShareGroupDescribeRequest>("ShareGroupDescribe", 1)
        .is_err()
    {
        return Ok(false);
    }
    let req = ShareGroupDescribeRequest {
        group_ids: vec![group.to_string()],
        include_authorized_operations: false,
    };
    let (_, resp): (_, ShareGroupDescribeResponse) =
        coordinator.call("ShareGroupDescribe", 1, &req).await?;
    let Some(g) = resp.groups.into_iter().next() else {
        return Ok(false);
    };
    if g.error_code != 0 {
        return Ok(false);
    }
    let mut members = Table::new(&["MEMBER", "CLIENT", "HOST", "EPOCH"]);
    for m in &g.members {
        members.row(vec![
            json!(m.member_id),
            json!(m.client_id),
            json!(m.client_host),
            json!(m.member_epoch),
        ]);
    }
    let mut offsets = Table::new(&["TOPIC", "PARTITION", "START", "END", "LAG"]);
    let req = DescribeShareGroupOffsetsRequest {
        groups: vec![DescribeShareGroupOffsetsRequestGroup {
            group_id: group.to_string(),
            topics: None,
        }],
    };
    let (_, resp): (_, DescribeShareGroupOffsetsResponse) = coordinator
        .call("DescribeShareGroupOffsets", 1, &req)
        .await?;
    let mut rows = Vec::new();
    for og in resp.groups {
        CliError::check(
            format!("offsets of share group {group}"),
            og.error_code,
            None,
        )?;
        for t in og.topics {
            for p in t.partitions {
                if p.error_code == 0 && p.start_offset >= 0 {
                    rows.push((
                        t.topic_name.clone(),
                        p.partition_index,
                        p.start_offset,
                        p.lag,
                    ));
                }
            }
        }
    }
    rows.sort();
    for (topic, partition, start, lag) in rows {
        let end = super::records::list_offset(client, &topic, partition, -1).await?;
        offsets.row(vec![
            json!(topic),
            json!(partition),
            json!(start),
            json!(end),
            json!(if lag >= 0 { lag } else { (end - start).max(0) }),
        ]);
    }
    if json {
        emit(&format!(
            "{}",
            json!({
                "group": group,
                "state": g.group_state,
                "protocol": "share",
                "members": members.to_json(),
                "offsets": offsets.to_json(),
            })
        ));
    } else {
        emit(&format!(
            "Group: {group}  State: {}  Protocol: share\n",
            g.group_state
        ));
        emit(&format!("{}\n\n{}", members.render(), offsets.render()));
    }
    Ok(true)
}
