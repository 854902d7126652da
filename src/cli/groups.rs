//! `kalfka group list|describe|delete|reset-offsets` (reset-offsets in [`super::reset`], share
//! groups' describe in [`super::share`]).
//!
//! Group requests go to the group's coordinator (FindCoordinator through the bootstrap
//! broker); ListGroups and ListOffsets go to the bootstrap broker, so describe's lag is right
//! on a single node.

use clap::Subcommand;
use kalfka_protocol::messages::*;
use serde_json::json;

use super::client::{CliError, Client};
use super::member::coordinator;
use super::output::{done, emit, Table};

/// Group subcommands.
#[derive(Debug, Subcommand)]
pub enum GroupCommand {
    /// List groups (classic, consumer and share groups).
    List,
    /// Show a group's state, members and committed offsets with lag (for a share group: the
    /// share-partition start offsets and the records not yet acknowledged).
    Describe {
        /// Group id.
        group: String,
    },
    /// Delete (empty) groups.
    Delete {
        /// Group id.
        group: String,
    },
    /// Plan new committed offsets for an inactive group; commit them with --execute.
    ResetOffsets(super::reset::ResetArgs),
}

/// Runs a group subcommand.
pub async fn run(client: &mut Client, cmd: GroupCommand, json: bool) -> Result<(), CliError> {
    match cmd {
        GroupCommand::List => list(client, json).await,
        GroupCommand::Describe { group } => {
            let mut coordinator = coordinator(client, &group).await?;
            if super::share::describe(&mut coordinator, client, &group, json).await? {
                return Ok(());
            }
            describe(&mut coordinator, client, &group, json).await
        }
        GroupCommand::Delete { group } => {
            let mut coordinator = coordinator(client, &group).await?;
            delete(&mut coordinator, &group, json).await
        }
        GroupCommand::ResetOffsets(args) => super::reset::reset(client, args, json).await,
    }
}

async fn list(client: &mut Client, json: bool) -> Result<(), CliError> {
    let (_, resp): (_, ListGroupsResponse) = client
        .call("ListGroups", 4, &ListGroupsRequest::default())
        .await?;
    CliError::check("list groups", resp.error_code, None)?;
    let mut table = Table::new(&["GROUP", "STATE", "PROTOCOL"]);
    let mut groups = resp.groups;
    groups.sort_by(|a, b| a.group_id.cmp(&b.group_id));
    for g in groups {
        table.row(vec![
            json!(g.group_id),
            json!(g.group_state),
            json!(g.protocol_type),
        ]);
    }
    table.print(json);
    Ok(())
}

/// A group's committed offsets: (topic, partition, offset), sorted.
pub(super) async fn committed(
    client: &mut Client,
    group: &str,
) -> Result<Vec<(String, i32, i64)>, CliError> {
    let req = OffsetFetchRequest {
        group_id: group.to_string(),
        topics: None,
        ..Default::default()
    };
    let (_, resp): (_, OffsetFetchResponse) = client.call("OffsetFetch", 7, &req).await?;
    CliError::check(format!("offsets of group {group}"), resp.error_code, None)?;
    let mut out = Vec::new();
    for t in resp.topics {
        for p in t.partitions {
            if p.error_code == 0 && p.committed_offset >= 0 {
                out.push((t.name.clone(), p.partition_index, p.committed_offset));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// Describes `group` through its coordinator; log ends come from `client`.
async fn describe(
    coordinator: &mut Client,
    client: &mut Client,
    group: &str,
    json: bool,
) -> Result<(), CliError> {
    let req = DescribeGroupsRequest {
        groups: vec![group.to_string()],
        include_authorized_operations: false,
    };
    let (_, resp): (_, DescribeGroupsResponse) =
        coordinator.call("DescribeGroups", 5, &req).await?;
    let g = resp
        .groups
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty DescribeGroups response".into()))?;
    CliError::check(format!("describe group {group}"), g.error_code, None)?;
    let mut members = Table::new(&["MEMBER", "CLIENT", "HOST"]);
    for m in &g.members {
        members.row(vec![
            json!(m.member_id),
            json!(m.client_id),
            json!(m.client_host),
        ]);
    }
    let mut offsets = Table::new(&["TOPIC", "PARTITION", "COMMITTED", "END", "LAG"]);
    for (topic, partition, offset) in committed(coordinator, group).await? {
        let end = super::records::list_offset(client, &topic, partition, -1).await?;
        offsets.row(vec![
            json!(topic),
            json!(partition),
            json!(offset),
            json!(end),
            json!((end - offset).max(0)),
        ]);
    }
    if json {
        emit(&format!(
            "{}",
            json!({
                "group": group,
                "state": g.group_state,
                "protocol": g.protocol_type,
                "members": members.to_json(),
                "offsets": offsets.to_json(),
            })
        ));
    } else {
        emit(&format!(
            "Group: {group}  State: {}  Protocol: {}\n",
            g.group_state, g.protocol_type
        ));
        emit(&format!("{}\n\n{}", members.render(), offsets.render()));
    }
    Ok(())
}

async fn delete(coordinator: &mut Client, group: &str, json: bool) -> Result<(), CliError> {
    let req = DeleteGroupsRequest {
        groups_names: vec![group.to_string()],
    };
    let (_, resp): (_, DeleteGroupsResponse) = coordinator.call("DeleteGroups", 2, &req).await?;
    let r = resp
        .results
        .into_iter()
        .next()
        .ok_or_else(|| CliError::Protocol("empty DeleteGroups response".into()))?;
    CliError::check(format!("delete group {group}"), r.error_code, None)?;
    done(json, &format!("deleted group {group}"));
    Ok(())
}
