//! Consumer group series of `/metrics`: state, members, generation, rebalances, committed
//! offsets and lag (names as the widely used kafka_exporter gives them, with a `group` label).
//!
//! Invariant: built from one [`crate::groups::overview::all`] snapshot per scrape.

use std::fmt;

use prometheus_client::encoding::DescriptorEncoder;

use super::encode::{counters, gauges};
use crate::broker::Broker;
use crate::groups::overview::{self, GroupOverview, OffsetLag};

/// Writes the group series.
pub fn groups(enc: &mut DescriptorEncoder, broker: &Broker) -> fmt::Result {
    let groups = overview::all(broker);
    let group = |g: &GroupOverview| vec![("group", g.group_id.clone())];
    gauges(
        enc,
        "kafka_consumergroup_state",
        "1 for the group's current state",
        groups.iter().map(|g| {
            (
                vec![
                    ("group", g.group_id.clone()),
                    ("state", g.state.clone()),
                    ("type", g.group_type.to_string()),
                ],
                1,
            )
        }),
    )?;
    gauges(
        enc,
        "kafka_consumergroup_members",
        "members of the group",
        groups.iter().map(|g| (group(g), g.members.len() as i64)),
    )?;
    gauges(
        enc,
        "kafka_consumergroup_generation",
        "generation (classic) or group epoch (consumer protocol)",
        groups.iter().map(|g| (group(g), i64::from(g.generation))),
    )?;
    counters(
        enc,
        "kafka_consumergroup_rebalances",
        "rebalances completed with members since the broker started",
        groups.iter().map(|g| (group(g), g.rebalances)),
    )?;
    let offsets: Vec<(&GroupOverview, &OffsetLag)> = groups
        .iter()
        .flat_map(|g| g.offsets.iter().map(move |o| (g, o)))
        .collect();
    let labels = |g: &GroupOverview, o: &OffsetLag| {
        vec![
            ("group", g.group_id.clone()),
            ("topic", o.topic.clone()),
            ("partition", o.partition.to_string()),
        ]
    };
    gauges(
        enc,
        "kafka_consumergroup_current_offset",
        "committed offset",
        offsets
            .iter()
            .map(|(g, o)| (labels(g, o), o.committed_offset)),
    )?;
    gauges(
        enc,
        "kafka_consumergroup_lag",
        "high watermark minus committed offset",
        offsets
            .iter()
            .filter_map(|(g, o)| Some((labels(g, o), o.lag?))),
    )
}
