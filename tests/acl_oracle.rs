//! Kalfka's ACL decision against Apache Kafka's `StandardAuthorizer`: random ACL sets and
//! random requests (principals, hosts, operations, resources chosen so that literal, wildcard
//! and prefixed patterns overlap), each decided by both; every decision must agree.
//!
//! The oracle is `compat/kafka/AclOracle.java`, run in Java's source-file mode on Kafka's
//! classpath (`bash compat/java/setup.sh` resolves it; `.ci/run` runs that).
//! `KALFKA_ACL_ORACLE_SEED` and `KALFKA_ACL_ORACLE_SCENARIOS` change the cases.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use common::wire::{env_u64, Rng};
use kalfka::security::acl::{
    AclBinding, AclOperation, AclPermission, KafkaPrincipal, PatternType, ResourceType,
    CLUSTER_NAME,
};
use kalfka::security::authorizer::AclSet;

const NAMES: &[&str] = &["a", "ab", "abc", "abd", "b", "ba", "é", "éa", "*"];
const PRINCIPALS: &[&str] = &["User:alice", "User:bob", "User:*", "Group:ops", "Group:*"];
const HOSTS: &[&str] = &["*", "127.0.0.1", "10.0.0.7"];
const TYPES: &[ResourceType] = &[
    ResourceType::Topic,
    ResourceType::Group,
    ResourceType::Cluster,
    ResourceType::TransactionalId,
];

fn pick<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.below(items.len() as u64) as usize]
}

fn name_for(rng: &mut Rng, resource_type: ResourceType) -> &'static str {
    if resource_type == ResourceType::Cluster {
        CLUSTER_NAME
    } else {
        pick(rng, NAMES)
    }
}

/// One scenario: its ACLs and checks as oracle commands, and Kalfka's answers.
fn scenario(rng: &mut Rng, script: &mut String, expected: &mut Vec<bool>) {
    let super_users: Vec<String> = if rng.one_in(5) {
        vec!["User:bob".into()]
    } else {
        Vec::new()
    };
    let allow_if_no_acl = rng.one_in(2);
    script.push_str(&format!(
        "reset {} {allow_if_no_acl}\n",
        if super_users.is_empty() {
            "-".to_string()
        } else {
            super_users.join(",")
        }
    ));
    let mut acls = Vec::new();
    for _ in 0..rng.below(12) {
        let resource_type = pick(rng, TYPES);
        let name = name_for(rng, resource_type);
        let pattern = if name != "*" && rng.one_in(2) {
            PatternType::Prefixed
        } else {
            PatternType::Literal
        };
        let mut operations = resource_type.supported_operations().to_vec();
        operations.push(AclOperation::All);
        let operation = pick(rng, &operations);
        let permission = if rng.one_in(4) {
            AclPermission::Deny
        } else {
            AclPermission::Allow
        };
        let principal = pick(rng, PRINCIPALS);
        let host = pick(rng, HOSTS);
        let binding = AclBinding::new(
            resource_type,
            name,
            pattern,
            principal,
            host,
            operation,
            permission,
        )
        .expect("generated ACLs are valid");
        script.push_str(&format!(
            "acl {resource_type} {name} {pattern} {principal} {host} {operation} {permission}\n"
        ));
        acls.push(binding);
    }
    let set = AclSet::new(super_users, allow_if_no_acl).with_added(acls);
    for _ in 0..40 {
        let resource_type = pick(rng, TYPES);
        let name = name_for(rng, resource_type);
        let name = if name == "*" { "abc" } else { name };
        let operation = pick(rng, resource_type.supported_operations());
        let principal = pick(rng, &["User:alice", "User:bob", "Group:ops"]);
        let host = pick(rng, &["127.0.0.1", "10.0.0.7"]);
        script.push_str(&format!(
            "check {principal} {host} {operation} {resource_type} {name}\n"
        ));
        let principal = KafkaPrincipal::parse(principal).expect("valid principal");
        expected.push(
            set.authorize(&principal, host, operation, resource_type, name)
                .allowed,
        );
    }
}

#[test]
fn acl_decisions_agree_with_kafkas_standard_authorizer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let resolved = Command::new("bash")
        .arg(root.join("compat/kafka/kafka-broker.sh"))
        .arg("classpath")
        .output()
        .expect("run kafka-broker.sh classpath");
    assert!(
        resolved.status.success(),
        "Kafka's classpath could not be resolved (run `bash compat/java/setup.sh`): {}",
        String::from_utf8_lossy(&resolved.stderr)
    );
    let classpath = std::fs::read_to_string(root.join("compat/kafka/target/classpath.txt"))
        .expect("classpath.txt written by kafka-broker.sh classpath");

    let seed = env_u64("KALFKA_ACL_ORACLE_SEED", 20261201);
    let scenarios = env_u64("KALFKA_ACL_ORACLE_SCENARIOS", 300);
    let mut rng = Rng::new(seed);
    let mut script = String::new();
    let mut expected = Vec::new();
    for _ in 0..scenarios {
        scenario(&mut rng, &mut script, &mut expected);
    }

    let mut oracle = Command::new(std::env::var("KAFKA_JAVA").unwrap_or_else(|_| "java".into()))
        .arg("-cp")
        .arg(classpath.trim())
        .arg(root.join("compat/kafka/AclOracle.java"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start java");
    let mut stdin = oracle.stdin.take().expect("oracle stdin");
    let writer = std::thread::spawn(move || stdin.write_all(script.as_bytes()));
    let output = oracle.wait_with_output().expect("oracle output");
    writer
        .join()
        .expect("writer thread")
        .expect("write oracle script");
    assert!(output.status.success(), "the oracle failed");
    let answers: Vec<bool> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line == "1")
        .collect();
    assert_eq!(answers.len(), expected.len(), "one answer per check");

    // Replay to print the first disagreement with its scenario.
    let mut rng = Rng::new(seed);
    let mut offset = 0;
    for index in 0..scenarios {
        let mut script = String::new();
        let mut mine = Vec::new();
        scenario(&mut rng, &mut script, &mut mine);
        let theirs = &answers[offset..offset + mine.len()];
        if mine != theirs {
            let checks: Vec<&str> = script.lines().filter(|l| l.starts_with("check")).collect();
            let (at, _) = mine
                .iter()
                .zip(theirs)
                .enumerate()
                .find(|(_, (a, b))| a != b)
                .expect("a difference");
            panic!(
                "scenario {index} (seed {seed}): `{}` Kalfka {} Kafka {}\n{script}",
                checks[at], mine[at], theirs[at]
            );
        }
        offset += mine.len();
    }
    assert!(
        answers.iter().any(|a| *a) && answers.iter().any(|a| !a),
        "the cases exercise both outcomes"
    );
}
