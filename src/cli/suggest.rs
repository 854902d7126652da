//! "Did you mean" for names the broker does not know: a topic that does not exist, a topic
//! config the broker refused. (Commands and flags get clap's own suggestions.)
//!
//! Invariants: a hint only ever extends a broker error's message (the name and code stay as
//! the broker sent them); looking up candidates is best-effort and never turns one error into
//! another.

use kalfka_protocol::error_code::ErrorCode;

use super::client::{CliError, Client};

/// The candidate closest to `name` by edit distance, if close enough to be a typo (at most a
/// third of the name's length, and at least 1, edits).
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::levenshtein(name, c), c))
        .filter(|(d, _)| *d <= limit)
        .min()
        .map(|(_, c)| c)
}

/// Appends "did you mean" to `err`'s message.
fn hint(err: CliError, suggestion: &str) -> CliError {
    match err {
        CliError::Broker {
            context,
            code,
            name,
            message,
        } => {
            let tip = format!("did you mean '{suggestion}'?");
            CliError::Broker {
                context,
                code,
                name,
                message: Some(match message {
                    Some(m) => format!("{m} ({tip})"),
                    None => tip,
                }),
            }
        }
        other => other,
    }
}

/// `result`, with a close existing topic name suggested when it failed with
/// UNKNOWN_TOPIC_OR_PARTITION for `topic`.
pub async fn topic_hint<T>(
    client: &mut Client,
    topic: &str,
    result: Result<T, CliError>,
) -> Result<T, CliError> {
    let err = match result {
        Err(e) if e.code() == Some(ErrorCode::UnknownTopicOrPartition.code()) => e,
        other => return other,
    };
    let Ok(listed) = super::topics::metadata(client, None).await else {
        return Err(err);
    };
    let names: Vec<String> = listed.topics.into_iter().filter_map(|t| t.name).collect();
    match closest(topic, names.iter().map(String::as_str)) {
        Some(s) => Err(hint(err, s)),
        None => Err(err),
    }
}

/// `result`, with a known topic config suggested for each of `names` that Kalfka does not
/// know when it failed with INVALID_CONFIG.
pub fn config_hint<T>(names: &[&str], result: Result<T, CliError>) -> Result<T, CliError> {
    let err = match result {
        Err(e) if e.code() == Some(ErrorCode::InvalidConfig.code()) => e,
        other => return other,
    };
    let known = || {
        crate::metadata::topic_config::TOPIC_CONFIGS
            .iter()
            .map(|d| d.name)
    };
    let unknown = names.iter().find(|n| !known().any(|k| k == **n));
    match unknown.and_then(|n| closest(n, known())) {
        Some(s) => Err(hint(err, s)),
        None => Err(err),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_finds_typos_only() {
        assert_eq!(closest("ordrs", ["orders", "payments"]), Some("orders"));
        assert_eq!(
            closest("retension.ms", ["retention.ms", "retention.bytes"]),
            Some("retention.ms")
        );
        assert_eq!(closest("xyz", ["orders"]), None);
        assert_eq!(closest("a", ["b"]), Some("b"));
        assert_eq!(closest("orders", ["orders"]), None);
    }
}
