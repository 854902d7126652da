//! Topics declared at start (`--create-topic NAME[:PARTITIONS[:KEY=VALUE,...]]`, repeatable,
//! or `[[topics]]` tables in the config file), created before the listener opens.
//!
//! Declarations add up: the file's, then the command line's (or, when no flag declares any,
//! the environment's: `KALFKA_CREATE_TOPICS`, `;`-separated); for a name declared twice the
//! last one counts.
//!
//! Invariants: a declaration is parsed once, at the edge, into a [`StartupTopic`]; a declared
//! topic that already exists is left as it is (its data, partitions and configs are the
//! user's now), so a restart with the same declarations changes nothing; a declaration the
//! broker refuses (bad name, bad config, too many partitions) stops the start with its reason.

use std::fmt;
use std::str::FromStr;

use crate::error::BrokerError;
use crate::metadata::{TopicConfigs, TopicRegistry};

/// A topic to exist before clients connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupTopic {
    /// The topic's name.
    pub name: String,
    /// Its partition count; -1 means the broker default (`num.partitions`).
    pub partitions: i32,
    /// Topic config overrides, by Kafka's names.
    pub configs: TopicConfigs,
}

/// Why a `--create-topic` value cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0} (expected NAME[:PARTITIONS[:KEY=VALUE,...]])")]
pub struct StartupTopicSyntax(String);

impl FromStr for StartupTopic {
    type Err = StartupTopicSyntax;

    /// `orders`, `orders:3` or `orders:3:cleanup.policy=compact,retention.ms=60000`. A config
    /// value may itself hold commas (`cleanup.policy=compact,delete`): a piece without `=`
    /// continues the previous value.
    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let mut parts = spec.splitn(3, ':');
        let name = parts.next().unwrap_or_default().trim().to_string();
        if name.is_empty() {
            return Err(StartupTopicSyntax(format!("no topic name in {spec:?}")));
        }
        let partitions = match parts.next().map(str::trim) {
            None | Some("") => -1,
            Some(n) => match n.parse::<i32>() {
                Ok(n) if n >= 1 => n,
                _ => {
                    return Err(StartupTopicSyntax(format!(
                        "partitions of {name} must be a number of at least 1, got {n:?}"
                    )))
                }
            },
        };
        let mut configs = TopicConfigs::new();
        let mut last: Option<String> = None;
        for piece in parts.next().unwrap_or_default().split(',') {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            match (piece.split_once('='), &last) {
                (Some((k, v)), _) => {
                    let key = k.trim().to_string();
                    configs.insert(key.clone(), v.trim().to_string());
                    last = Some(key);
                }
                (None, Some(key)) => {
                    if let Some(v) = configs.get_mut(key) {
                        v.push(',');
                        v.push_str(piece);
                    }
                }
                (None, None) => {
                    return Err(StartupTopicSyntax(format!(
                        "config {piece:?} of {name} is not KEY=VALUE"
                    )))
                }
            }
        }
        Ok(StartupTopic {
            name,
            partitions,
            configs,
        })
    }
}

impl fmt::Display for StartupTopic {
    /// The declaration as `--create-topic` takes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if self.partitions > 0 || !self.configs.is_empty() {
            write!(f, ":")?;
            if self.partitions > 0 {
                write!(f, "{}", self.partitions)?;
            }
        }
        if !self.configs.is_empty() {
            let configs: Vec<String> = self
                .configs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            write!(f, ":{}", configs.join(","))?;
        }
        Ok(())
    }
}

/// Creates each declared topic that does not exist yet; a refusal names the declaration. A
/// name declared twice takes its last declaration (the command line's comes after the file's).
pub fn create_declared(
    registry: &TopicRegistry,
    topics: &[StartupTopic],
) -> Result<(), BrokerError> {
    let last = |t: &StartupTopic| topics.iter().rev().find(|u| u.name == t.name);
    for t in topics.iter().filter(|t| last(t) == Some(*t)) {
        if registry.get(&t.name).is_some() {
            tracing::debug!(topic = %t.name, "declared topic exists");
            continue;
        }
        registry
            .create(&t.name, t.partitions, t.configs.clone())
            .map_err(|e| BrokerError::StartupTopic(format!("--create-topic {t}: {e}")))?;
        tracing::info!(topic = %t.name, "created a declared topic");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_parse_and_print_back() {
        let t: StartupTopic = "orders".parse().expect("name only");
        assert_eq!((t.name.as_str(), t.partitions), ("orders", -1));
        let t: StartupTopic = "orders:3:cleanup.policy=compact,delete,retention.ms=60000"
            .parse()
            .expect("full");
        assert_eq!(t.partitions, 3);
        assert_eq!(t.configs["cleanup.policy"], "compact,delete");
        assert_eq!(t.configs["retention.ms"], "60000");
        assert_eq!(
            t.to_string(),
            "orders:3:cleanup.policy=compact,delete,retention.ms=60000"
        );
        assert_eq!(
            "audit::retention.ms=1"
                .parse::<StartupTopic>()
                .map(|t| t.to_string()),
            Ok("audit::retention.ms=1".to_string())
        );
        for bad in ["", ":3", "x:0", "x:many", "x:1:novalue"] {
            assert!(bad.parse::<StartupTopic>().is_err(), "{bad:?} refused");
        }
    }
}
