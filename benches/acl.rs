//! What one ACL decision costs with 1,000 ACLs (issue 14 asks for < 1 µs): 900 literal topic
//! ACLs for other principals' topics, 50 prefixed ones of assorted prefix lengths, 50 group
//! ACLs, then a decision for an allowed topic, a denied one, and one found only by prefix.

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kalfka::security::acl::KafkaPrincipal;
use kalfka::security::acl::{AclBinding, AclOperation, AclPermission, PatternType, ResourceType};
use kalfka::security::authorizer::AclSet;

fn acl(rt: ResourceType, name: &str, pt: PatternType, who: &str, op: AclOperation) -> AclBinding {
    AclBinding::new(rt, name, pt, who, "*", op, AclPermission::Allow).expect("valid ACL")
}

fn thousand_acls() -> AclSet {
    let mut acls = Vec::new();
    for i in 0..900 {
        let who = format!("User:service-{}", i % 30);
        acls.push(acl(
            ResourceType::Topic,
            &format!("team-{i}.events"),
            PatternType::Literal,
            &who,
            AclOperation::Read,
        ));
    }
    for i in 0..50 {
        let prefix = format!("{}{}", "p".repeat(1 + i % 7), i);
        acls.push(acl(
            ResourceType::Topic,
            &prefix,
            PatternType::Prefixed,
            "User:alice",
            AclOperation::Write,
        ));
    }
    for i in 0..50 {
        acls.push(acl(
            ResourceType::Group,
            &format!("group-{i}"),
            PatternType::Literal,
            "User:alice",
            AclOperation::Read,
        ));
    }
    AclSet::new([], false).with_added(acls)
}

fn bench_authorize(c: &mut Criterion) {
    let set = thousand_acls();
    let service = KafkaPrincipal::user("service-7");
    let alice = KafkaPrincipal::user("alice");
    c.bench_function("acl/authorize_allowed_literal_1000_acls", |b| {
        b.iter(|| {
            set.authorize(
                black_box(&service),
                "127.0.0.1",
                AclOperation::Read,
                ResourceType::Topic,
                black_box("team-7.events"),
            )
        })
    });
    c.bench_function("acl/authorize_denied_1000_acls", |b| {
        b.iter(|| {
            set.authorize(
                black_box(&alice),
                "127.0.0.1",
                AclOperation::Read,
                ResourceType::Topic,
                black_box("team-8.events"),
            )
        })
    });
    c.bench_function("acl/authorize_prefixed_1000_acls", |b| {
        b.iter(|| {
            set.authorize(
                black_box(&alice),
                "127.0.0.1",
                AclOperation::Write,
                ResourceType::Topic,
                black_box("ppp2-orders"),
            )
        })
    });
}

criterion_group!(benches, bench_authorize);
criterion_main!(benches);
