//! Per-group configs of share groups (config resource type GROUP), the ones Kalfka honours:
//! `share.auto.offset.reset`, `share.record.lock.duration.ms` and `share.isolation.level`.
//!
//! A group's overrides are validated when set and stored durably with the share state; a
//! config that is not overridden takes the broker's value. Overrides may be set before the
//! group exists (clients set `share.auto.offset.reset` first, then join).

use std::collections::BTreeMap;
use std::time::Duration;

use super::iso_duration;
use crate::error::BrokerError;

/// Where a share partition starts when the group first reads it.
pub const AUTO_OFFSET_RESET: &str = "share.auto.offset.reset";
/// How long acquired records stay locked, for this group.
pub const RECORD_LOCK_DURATION_MS: &str = "share.record.lock.duration.ms";
/// Whether the group sees records of open and aborted transactions.
pub const ISOLATION_LEVEL: &str = "share.isolation.level";

/// The prefix of a `share.auto.offset.reset` by duration (KIP-1106): start where the records
/// of the last ISO-8601 duration begin.
const BY_DURATION: &str = "by_duration:";

/// Longest acquisition lock a group may ask for (Kafka's
/// `group.share.max.record.lock.duration.ms` default).
const MAX_LOCK_DURATION_MS: u64 = 3_600_000;

/// A group's config overrides, by name.
pub type GroupConfigs = BTreeMap<String, String>;

/// Config names Kalfka serves for groups, in describe order.
pub const NAMES: &[&str] = &[AUTO_OFFSET_RESET, ISOLATION_LEVEL, RECORD_LOCK_DURATION_MS];

/// Checks one override; INVALID_CONFIG for unknown names and bad values.
pub fn validate(name: &str, value: &str) -> Result<(), BrokerError> {
    let bad = || BrokerError::InvalidConfig(format!("invalid value {value:?} for {name}"));
    match name {
        AUTO_OFFSET_RESET => match value {
            "latest" | "earliest" => Ok(()),
            _ => match value.strip_prefix(BY_DURATION) {
                Some(d) if iso_duration::parse(d).is_some() => Ok(()),
                _ => Err(BrokerError::InvalidConfig(format!(
                    "Invalid value `{value}` for configuration {name}. The value must be either \
                     'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS.>'."
                ))),
            },
        },
        RECORD_LOCK_DURATION_MS => match value.parse::<u64>() {
            Ok(ms) if (1..=MAX_LOCK_DURATION_MS).contains(&ms) => Ok(()),
            _ => Err(bad()),
        },
        ISOLATION_LEVEL => match value {
            "read_committed" | "read_uncommitted" => Ok(()),
            _ => Err(bad()),
        },
        _ => Err(BrokerError::InvalidConfig(format!(
            "unknown group config name: {name}"
        ))),
    }
}

/// The effective value of `name` for a group with `overrides`, given the broker's lock
/// duration; `None` for names not served.
pub fn effective(overrides: &GroupConfigs, name: &str, broker_lock: Duration) -> Option<String> {
    if let Some(v) = overrides.get(name) {
        return Some(v.clone());
    }
    match name {
        AUTO_OFFSET_RESET => Some("latest".into()),
        RECORD_LOCK_DURATION_MS => Some(broker_lock.as_millis().to_string()),
        ISOLATION_LEVEL => Some("read_uncommitted".into()),
        _ => None,
    }
}

/// A valid value of `name` to check the name with (`""` for names not served).
pub fn effective_default(name: &str) -> &'static str {
    match name {
        AUTO_OFFSET_RESET => "latest",
        RECORD_LOCK_DURATION_MS => "30000",
        ISOLATION_LEVEL => "read_uncommitted",
        _ => "",
    }
}

/// Whether a group starts new share partitions at the log start (`earliest`).
pub fn starts_at_earliest(overrides: &GroupConfigs) -> bool {
    overrides
        .get(AUTO_OFFSET_RESET)
        .is_some_and(|v| v == "earliest")
}

/// The duration of a group's `share.auto.offset.reset=by_duration:<duration>`, if it has one:
/// a new share partition starts at the first record at most that old.
pub fn reset_by_duration(overrides: &GroupConfigs) -> Option<Duration> {
    overrides
        .get(AUTO_OFFSET_RESET)
        .and_then(|v| v.strip_prefix(BY_DURATION))
        .and_then(iso_duration::parse)
}

/// Whether a group reads committed records only (`share.isolation.level` read_committed).
pub fn reads_committed(overrides: &GroupConfigs) -> bool {
    overrides
        .get(ISOLATION_LEVEL)
        .is_some_and(|v| v == "read_committed")
}

/// The group's acquisition lock duration.
pub fn lock_duration(overrides: &GroupConfigs, broker_lock: Duration) -> Duration {
    overrides
        .get(RECORD_LOCK_DURATION_MS)
        .and_then(|v| v.parse::<u64>().ok())
        .map_or(broker_lock, Duration::from_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_resolves_overrides() {
        assert!(validate(AUTO_OFFSET_RESET, "earliest").is_ok());
        assert!(validate(AUTO_OFFSET_RESET, "by_duration:PT1H").is_ok());
        for bad in [
            "by_duration:-PT1H",
            "by_duration:",
            "by_duration",
            "LATEST",
            "none",
        ] {
            assert!(validate(AUTO_OFFSET_RESET, bad).is_err(), "{bad}");
        }
        assert!(validate(RECORD_LOCK_DURATION_MS, "0").is_err());
        assert!(validate(ISOLATION_LEVEL, "read_committed").is_ok());
        assert!(validate(ISOLATION_LEVEL, "READ_COMMITTED").is_err());
        assert!(validate("share.unknown", "1").is_err());
        let broker = Duration::from_secs(30);
        let mut o = GroupConfigs::new();
        assert!(!starts_at_earliest(&o));
        assert!(!reads_committed(&o));
        assert_eq!(
            effective(&o, RECORD_LOCK_DURATION_MS, broker).as_deref(),
            Some("30000")
        );
        o.insert(AUTO_OFFSET_RESET.into(), "earliest".into());
        o.insert(RECORD_LOCK_DURATION_MS.into(), "500".into());
        assert!(starts_at_earliest(&o));
        assert_eq!(reset_by_duration(&o), None);
        o.insert(AUTO_OFFSET_RESET.into(), "by_duration:PT1M".into());
        assert_eq!(reset_by_duration(&o), Some(Duration::from_secs(60)));
        assert_eq!(lock_duration(&o, broker), Duration::from_millis(500));
    }
}
