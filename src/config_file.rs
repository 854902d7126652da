//! Broker configuration from a TOML file (`--config FILE` / `KALFKA_CONFIG`) with Kafka's
//! property names, layered under environment variables and flags.
//!
//! Precedence is flag > `KALFKA_*` environment variable > file > built-in default. The file is
//! merged by turning each of its keys into the flag it stands for and placing those flags
//! *before* the real command line, for only the options that neither the command line nor the
//! environment set (clap reports where each value came from). Adding an option therefore takes
//! one `Cli` field plus one line in [`FILE_KEYS`].
//!
//! Both `num.partitions = 3` (TOML dotted keys, i.e. nested tables) and
//! `"num.partitions" = 3` are accepted.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory};

/// Kafka property names accepted in the file, and the `Cli` field (clap argument id) each sets.
pub const FILE_KEYS: &[(&str, &str)] = &[
    ("listeners", "listen"),
    ("advertised.listeners", "advertised_listener"),
    ("log.dirs", "data_dir"),
    ("log.dir", "data_dir"),
    ("num.partitions", "num_partitions"),
    ("auto.create.topics.enable", "auto_create_topics"),
    ("message.max.bytes", "message_max_bytes"),
    ("log.segment.bytes", "segment_bytes"),
    ("socket.request.max.bytes", "max_frame_bytes"),
    ("fetch.max.bytes", "fetch_max_bytes"),
    ("connections.max.idle.ms", "connections_max_idle_ms"),
    // Not Kafka properties: Kalfka's own limits.
    ("max.partitions", "max_partitions"),
    ("frame.read.timeout.ms", "frame_read_timeout_ms"),
    ("response.write.timeout.ms", "write_timeout_ms"),
    ("log.retention.hours", "log_retention_hours"),
    ("log.retention.minutes", "log_retention_minutes"),
    ("log.retention.ms", "log_retention_ms"),
    ("log.retention.bytes", "log_retention_bytes"),
    (
        "log.retention.check.interval.ms",
        "log_retention_check_interval_ms",
    ),
    (
        "group.consumer.session.timeout.ms",
        "group_consumer_session_timeout_ms",
    ),
    (
        "group.consumer.heartbeat.interval.ms",
        "group_consumer_heartbeat_interval_ms",
    ),
    (
        "group.share.record.lock.duration.ms",
        "group_share_record_lock_duration_ms",
    ),
    (
        "group.share.delivery.count.limit",
        "group_share_delivery_count_limit",
    ),
    (
        "group.share.partition.max.record.locks",
        "group_share_partition_max_record_locks",
    ),
    (
        "group.share.max.share.sessions",
        "group_share_max_share_sessions",
    ),
    (
        "group.initial.rebalance.delay.ms",
        "group_initial_rebalance_delay_ms",
    ),
    ("producer.id.expiration.ms", "producer_id_expiration_ms"),
    ("transaction.max.timeout.ms", "transaction_max_timeout_ms"),
    (
        "transactional.id.expiration.ms",
        "transactional_id_expiration_ms",
    ),
    // Not a Kafka property: Kalfka's ephemeral in-memory mode (`--memory`).
    ("memory", "memory"),
    // `[[topics]]` tables: topics created at start (`--create-topic`, one flag per table).
    ("topics", "create_topic"),
    // Not Kafka properties: the HTTP endpoint and the log line format.
    ("http.listen", "http_listen"),
    ("log.format", "log_format"),
];

/// Why the config file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    /// The file could not be read.
    #[error("cannot read config file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("config file {path}{}: not valid TOML: {message}", at_line(*.line))]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the error, when the parser says.
        line: Option<usize>,
        /// The parser's message.
        message: String,
    },
    /// A key this broker does not know.
    #[error("config file {path}{}: unknown property {key:?}{}; supported: {supported}", at_line(*.line), did_you_mean(.suggestion))]
    UnknownKey {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key, when found.
        line: Option<usize>,
        /// The key.
        key: String,
        /// The closest supported key, if the key looks like a typo of it.
        suggestion: Option<String>,
        /// The supported keys.
        supported: String,
    },
    /// A value that cannot stand for the property.
    #[error("config file {path}{}: property {key}: {message}", at_line(*.line))]
    BadValue {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key, when found.
        line: Option<usize>,
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
}

fn at_line(line: Option<usize>) -> String {
    line.map(|l| format!(" line {l}")).unwrap_or_default()
}

fn did_you_mean(suggestion: &Option<String>) -> String {
    suggestion
        .as_ref()
        .map(|s| format!(" (did you mean {s:?}?)"))
        .unwrap_or_default()
}

/// The 1-based line of `text` holding byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(0, |t| t.matches('\n').count()) + 1
}

/// The 1-based line where property `key` is set: `key = …` or `"key" = …` at the start of a
/// line (a key written under a `[table]` header is not found, and the error has no line).
fn line_of_key(text: &str, key: &str) -> Option<usize> {
    let quoted = format!("\"{key}\"");
    let header = format!("[[{key}]]");
    text.lines()
        .position(|line| {
            let line = line.trim_start();
            if line.starts_with(&header) {
                return true;
            }
            [key, quoted.as_str()].iter().any(|k| {
                line.strip_prefix(k)
                    .is_some_and(|rest| rest.trim_start().starts_with('='))
            })
        })
        .map(|i| i + 1)
}

/// A file read for its properties: `kafka.property.name -> value`, and the text, to point at
/// lines in errors.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    /// The properties, flattened to Kafka's dotted names.
    pub properties: BTreeMap<String, String>,
    text: String,
}

/// Reads a TOML config file into flat `kafka.property.name -> value` pairs.
pub fn read_file(path: &Path) -> Result<ConfigFile, ConfigFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let properties = parse(path, &text)?;
    Ok(ConfigFile { properties, text })
}

/// Parses TOML text (see [`read_file`]); `path` only names the source in errors.
pub fn parse(path: &Path, text: &str) -> Result<BTreeMap<String, String>, ConfigFileError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigFileError::Parse {
            path: path.to_path_buf(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().to_string(),
        })?;
    let mut out = BTreeMap::new();
    flatten(path, text, "", &toml::Value::Table(table), &mut out)?;
    Ok(out)
}

fn flatten(
    path: &Path,
    text: &str,
    prefix: &str,
    value: &toml::Value,
    out: &mut BTreeMap<String, String>,
) -> Result<(), ConfigFileError> {
    let bad = |message: &str| ConfigFileError::BadValue {
        path: path.to_path_buf(),
        line: line_of_key(text, prefix),
        key: prefix.to_string(),
        message: message.to_string(),
    };
    let text = match value {
        toml::Value::Array(items) if prefix == "topics" => items
            .iter()
            .map(|item| declared_topic(item).map_err(|m| bad(&m)))
            .collect::<Result<Vec<_>, _>>()?
            .join("\n"),
        toml::Value::Table(t) => {
            for (k, v) in t {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                flatten(path, text, &key, v, out)?;
            }
            return Ok(());
        }
        toml::Value::String(s) => s.clone(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Array(items) => items
            .iter()
            .map(|i| match i {
                toml::Value::String(s) => Ok(s.clone()),
                toml::Value::Integer(n) => Ok(n.to_string()),
                _ => Err(bad("list items must be strings or integers")),
            })
            .collect::<Result<Vec<_>, _>>()?
            .join(","),
        toml::Value::Datetime(_) => return Err(bad("dates are not a config value")),
    };
    out.insert(prefix.to_string(), text);
    Ok(())
}

/// One `[[topics]]` table (`name`, optional `partitions`, optional `configs` table) as the
/// `--create-topic` value it stands for.
fn declared_topic(item: &toml::Value) -> Result<String, String> {
    let table = item
        .as_table()
        .ok_or("each [[topics]] entry is a table with name, partitions and configs")?;
    if let Some(k) = table
        .keys()
        .find(|k| !matches!(k.as_str(), "name" | "partitions" | "configs"))
    {
        return Err(format!(
            "unknown key {k:?} in [[topics]] (name, partitions, configs)"
        ));
    }
    let name = table
        .get("name")
        .and_then(toml::Value::as_str)
        .ok_or("a [[topics]] entry needs name = \"...\"")?;
    let mut topic = crate::startup_topics::StartupTopic {
        name: name.to_string(),
        partitions: -1,
        configs: Default::default(),
    };
    if let Some(p) = table.get("partitions") {
        topic.partitions = p
            .as_integer()
            .and_then(|p| i32::try_from(p).ok())
            .filter(|p| *p >= 1)
            .ok_or(format!(
                "partitions of {name} must be a number of at least 1"
            ))?;
    }
    if let Some(configs) = table.get("configs") {
        let mut flat = BTreeMap::new();
        let configs = configs
            .as_table()
            .ok_or(format!("configs of {name} must be a table"))?;
        for (k, v) in configs {
            let v = match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                toml::Value::Table(_) => {
                    // `cleanup.policy = "compact"` written bare nests: flatten it back.
                    flatten_plain(k, v, &mut flat);
                    continue;
                }
                _ => return Err(format!("config {k} of {name} must be a string or number")),
            };
            flat.insert(k.clone(), v);
        }
        topic.configs = flat;
    }
    Ok(topic.to_string())
}

fn flatten_plain(prefix: &str, value: &toml::Value, out: &mut BTreeMap<String, String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                flatten_plain(&format!("{prefix}.{k}"), v, out);
            }
        }
        toml::Value::String(s) => {
            out.insert(prefix.to_string(), s.clone());
        }
        other => {
            out.insert(prefix.to_string(), other.to_string());
        }
    }
}

/// Turns file properties into flags for the options `matches` took from neither the command
/// line nor the environment. Each value is checked here with its flag's own parser, so that a
/// bad value is blamed on the property and its line, not on a flag the user never typed.
pub fn file_flags(
    path: &Path,
    file: &ConfigFile,
    matches: &ArgMatches,
) -> Result<Vec<OsString>, ConfigFileError> {
    let command = crate::config::Cli::command();
    let mut flags = Vec::new();
    for (key, value) in &file.properties {
        let line = line_of_key(&file.text, key);
        let Some((_, id)) = FILE_KEYS.iter().find(|(k, _)| k == key) else {
            let names = FILE_KEYS.iter().map(|(k, _)| *k);
            return Err(ConfigFileError::UnknownKey {
                path: path.to_path_buf(),
                line,
                key: key.clone(),
                suggestion: crate::cli::suggest::closest(key, names.clone()).map(str::to_string),
                supported: names.collect::<Vec<_>>().join(", "),
            });
        };
        // Declared topics add up (file, environment and flags); any other option is set by the
        // file only when neither the command line nor the environment set it.
        if key != "topics"
            && matches!(
                matches.value_source(id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        {
            continue;
        }
        let Some(arg) = command.get_arguments().find(|a| a.get_id() == *id) else {
            continue;
        };
        let Some(long) = arg.get_long() else {
            continue;
        };
        let bad = |message: String| ConfigFileError::BadValue {
            path: path.to_path_buf(),
            line,
            key: key.clone(),
            message,
        };
        // `topics` stands for one flag per declared topic; every other key for one flag.
        let values = if key == "topics" {
            value.lines().map(str::to_string).collect()
        } else {
            vec![single_value(key, value).map_err(bad)?]
        };
        for value in values {
            let flag = OsString::from(format!("--{long}={value}"));
            // The flag alone through the broker's own parser: its value errors, as the file's.
            if let Err(e) = command
                .clone()
                .try_get_matches_from([OsString::from("kalfka"), flag.clone()])
            {
                use clap::error::ErrorKind;
                if matches!(
                    e.kind(),
                    ErrorKind::InvalidValue | ErrorKind::ValueValidation
                ) {
                    return Err(bad(value_error(&e, &value)));
                }
            }
            flags.push(flag);
        }
    }
    Ok(flags)
}

/// What clap's value parser said about `value`, without its flag-centred framing.
fn value_error(e: &clap::Error, value: &str) -> String {
    use clap::error::ContextKind;
    let detail = e.render().to_string();
    let detail = detail
        .lines()
        .next()
        .unwrap_or_default()
        .trim_start_matches("error: ");
    let reason = detail.rsplit_once(": ").map_or(detail, |(_, r)| r);
    match e.get(ContextKind::ValidValue) {
        Some(valid) => format!("invalid value {value:?} (possible values: {valid})"),
        None => format!("invalid value {value:?}: {reason}"),
    }
}

/// Kafka list properties (`listeners`, `log.dirs`) name one item here; listener URLs lose their
/// `PLAINTEXT://` scheme where the flag wants a bare address.
fn single_value(key: &str, value: &str) -> Result<String, String> {
    if !matches!(key, "listeners" | "advertised.listeners" | "log.dirs") {
        return Ok(value.to_string());
    }
    let items: Vec<&str> = value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    match items.as_slice() {
        [one] if key == "listeners" => Ok(one
            .trim_start_matches("PLAINTEXT://")
            .trim_start_matches("tcp://")
            .to_string()),
        [one] => Ok(one.to_string()),
        _ => Err(format!(
            "exactly one entry is supported (single listener, single log dir), got {value:?}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_and_quoted_keys_flatten_to_kafka_names() {
        let text = "num.partitions = 3\n\"auto.create.topics.enable\" = false\nlisteners = [\"PLAINTEXT://127.0.0.1:9999\"]\n";
        let got = parse(Path::new("t.toml"), text).expect("valid");
        assert_eq!(got["num.partitions"], "3");
        assert_eq!(got["auto.create.topics.enable"], "false");
        assert_eq!(got["listeners"], "PLAINTEXT://127.0.0.1:9999");
        assert_eq!(
            single_value("listeners", &got["listeners"]).as_deref(),
            Ok("127.0.0.1:9999")
        );
        assert!(single_value("log.dirs", "/a,/b").is_err());
    }

    #[test]
    fn retention_takes_kafkas_three_spellings_with_kafkas_precedence() {
        use crate::config::{BrokerConfig, Cli};
        let dir = tempfile::tempdir().expect("tempdir");
        let load = |text: &str| {
            let file = dir.path().join("retention.toml");
            std::fs::write(&file, text).expect("write");
            let arg = format!("--config={}", file.display());
            BrokerConfig::try_from(Cli::load_from(["kalfka", &arg]).expect("loads"))
                .expect("valid")
                .retention_ms
        };
        assert_eq!(load("log.retention.hours = 2\n"), 7_200_000);
        assert_eq!(
            load("log.retention.minutes = 3\nlog.retention.hours = 2\n"),
            180_000
        );
        assert_eq!(
            load("log.retention.ms = 5000\nlog.retention.minutes = 3\nlog.retention.hours = 2\n"),
            5_000
        );
        assert_eq!(load("log.retention.ms = -1\n"), -1);
    }

    #[test]
    fn flags_win_over_the_file_which_wins_over_defaults() {
        use crate::config::{BrokerConfig, Cli};
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("kalfka.toml");
        std::fs::write(
            &file,
            "num.partitions = 4\nmessage.max.bytes = 2048\nlog.dirs = \"/tmp/from-file\"\n\
             listeners = \"PLAINTEXT://127.0.0.1:19999\"\n",
        )
        .expect("write");
        let file_arg = format!("--config={}", file.display());
        let cli = Cli::load_from(["kalfka", &file_arg, "--num-partitions", "7"]).expect("loads");
        let config = BrokerConfig::try_from(cli).expect("valid");
        assert_eq!(config.num_partitions, 7, "flag wins");
        assert_eq!(config.message_max_bytes, 2048, "file wins over default");
        assert_eq!(config.data_dir, PathBuf::from("/tmp/from-file"));
        assert_eq!(config.listen.port(), 19999);
        assert!(config.auto_create_topics, "default kept");

        std::fs::write(&file, "no.such.thing = 1\n").expect("write");
        let err = Cli::load_from(["kalfka", &file_arg]).expect_err("unknown key");
        assert!(err.to_string().contains("no.such.thing"), "{err}");
    }

    #[test]
    fn environment_wins_over_the_file() {
        use crate::config::{BrokerConfig, Cli};
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("kalfka.toml");
        std::fs::write(&file, "log.segment.bytes = 4096\n").expect("write");
        let file_arg = format!("--config={}", file.display());
        let from_file =
            BrokerConfig::try_from(Cli::load_from(["kalfka", &file_arg]).expect("loads"))
                .expect("valid");
        assert_eq!(from_file.segment_bytes, 4096);
        // Only this test reads KALFKA_SEGMENT_BYTES.
        std::env::set_var("KALFKA_SEGMENT_BYTES", "8192");
        let loaded = Cli::load_from(["kalfka", &file_arg]);
        std::env::remove_var("KALFKA_SEGMENT_BYTES");
        let config = BrokerConfig::try_from(loaded.expect("loads")).expect("valid");
        assert_eq!(config.segment_bytes, 8192);
    }

    #[test]
    fn memory_mode_can_be_set_in_the_file_and_overridden_by_the_flag() {
        use crate::config::{BrokerConfig, Cli};
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("kalfka.toml");
        std::fs::write(&file, "memory = true\n").expect("write");
        let file_arg = format!("--config={}", file.display());
        let load = |args: &[&str]| {
            BrokerConfig::try_from(Cli::load_from(args.iter().copied()).expect("loads"))
                .expect("valid")
        };
        assert!(load(&["kalfka", &file_arg]).memory, "from the file");
        assert!(
            !load(&["kalfka", &file_arg, "--memory=false"]).memory,
            "flag wins"
        );
        assert!(!load(&["kalfka"]).memory, "default");

        std::fs::write(&file, "memory = \"sometimes\"\n").expect("write");
        assert!(
            Cli::load_from(["kalfka", &file_arg]).is_err(),
            "not a boolean"
        );
    }

    #[test]
    fn http_listen_defaults_on_turns_off_when_empty_and_comes_from_the_file() {
        use crate::config::{BrokerConfig, Cli, LogFormat};
        let load =
            |args: &[&str]| Cli::load_from(args.iter().copied()).and_then(BrokerConfig::try_from);
        let default = load(&["kalfka"]).expect("valid");
        assert_eq!(
            default.http_listen,
            Some("127.0.0.1:9644".parse().expect("addr"))
        );
        assert_eq!(
            load(&["kalfka", "--http-listen="])
                .expect("valid")
                .http_listen,
            None
        );
        assert!(load(&["kalfka", "--http-listen", "nowhere"]).is_err());
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("kalfka.toml");
        std::fs::write(
            &file,
            "http.listen = \"127.0.0.1:0\"\nlog.format = \"json\"\n",
        )
        .expect("write");
        let file_arg = format!("--config={}", file.display());
        let cli = Cli::load_from(["kalfka", &file_arg]).expect("loads");
        assert_eq!(cli.log_format, LogFormat::Json);
        let config = BrokerConfig::try_from(cli).expect("valid");
        assert_eq!(config.http_listen.map(|a| a.port()), Some(0));
    }

    #[test]
    fn every_file_key_names_a_cli_argument() {
        let command = crate::config::Cli::command();
        for (key, id) in FILE_KEYS {
            assert!(
                command.get_arguments().any(|a| a.get_id() == *id),
                "{key} maps to unknown argument {id}"
            );
        }
    }
}
