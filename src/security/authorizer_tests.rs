//! The decisions of Kafka's `StandardAuthorizerTest`, asserted on [`AclSet`].

use super::*;
use crate::security::acl::{AclFilter, CLUSTER_NAME};

use AclOperation as O;
use AclPermission as P;
use PatternType as T;
use ResourceType as R;

fn acl(rt: R, name: &str, pt: T, principal: &str, host: &str, op: O, perm: P) -> AclBinding {
    AclBinding::new(rt, name, pt, principal, host, op, perm).unwrap()
}

fn alice() -> KafkaPrincipal {
    KafkaPrincipal::user("alice")
}

fn allowed(set: &AclSet, who: &KafkaPrincipal, op: O, rt: R, name: &str) -> bool {
    set.authorize(who, "127.0.0.1", op, rt, name).allowed
}

#[test]
fn no_acl_follows_allow_everyone_if_no_acl_found() {
    let closed = AclSet::new([], false);
    let open = AclSet::new([], true);
    assert!(!allowed(&closed, &alice(), O::Read, R::Topic, "t"));
    assert!(allowed(&open, &alice(), O::Read, R::Topic, "t"));
    assert_eq!(
        closed
            .authorize(&alice(), "127.0.0.1", O::Read, R::Topic, "t")
            .rule,
        Rule::NoAclFound
    );

    // An ACL on the resource for somebody else means "no ACL found" no longer applies.
    let open = open.with_added([acl(
        R::Topic,
        "t",
        T::Literal,
        "User:bob",
        "*",
        O::Read,
        P::Allow,
    )]);
    assert!(!allowed(&open, &alice(), O::Read, R::Topic, "t"));
    assert!(allowed(&open, &alice(), O::Read, R::Topic, "other"));
}

#[test]
fn super_users_are_allowed_everything() {
    let set = AclSet::new(["User:admin".to_string()], false).with_added([acl(
        R::Topic,
        "*",
        T::Literal,
        "User:*",
        "*",
        O::All,
        P::Deny,
    )]);
    let admin = KafkaPrincipal::user("admin");
    assert!(allowed(&set, &admin, O::Delete, R::Topic, "t"));
    assert!(!allowed(&set, &alice(), O::Read, R::Topic, "t"));
}

#[test]
fn literal_wildcard_and_prefixed_patterns_apply() {
    let set = AclSet::new([], false).with_added([
        acl(
            R::Topic,
            "orders",
            T::Literal,
            "User:alice",
            "*",
            O::Read,
            P::Allow,
        ),
        acl(
            R::Topic,
            "pay",
            T::Prefixed,
            "User:alice",
            "*",
            O::Write,
            P::Allow,
        ),
        acl(
            R::Group,
            "*",
            T::Literal,
            "User:alice",
            "*",
            O::Read,
            P::Allow,
        ),
    ]);
    assert!(allowed(&set, &alice(), O::Read, R::Topic, "orders"));
    assert!(!allowed(&set, &alice(), O::Read, R::Topic, "orders2"));
    assert!(allowed(&set, &alice(), O::Write, R::Topic, "payments"));
    assert!(allowed(&set, &alice(), O::Write, R::Topic, "pay"));
    assert!(!allowed(&set, &alice(), O::Write, R::Topic, "pa"));
    assert!(!allowed(&set, &alice(), O::Read, R::Topic, "payments"));
    assert!(allowed(&set, &alice(), O::Read, R::Group, "any-group"));
    assert!(!allowed(
        &set,
        &alice(),
        O::Read,
        R::TransactionalId,
        "orders"
    ));
}

#[test]
fn deny_wins_over_allow_wherever_it_comes_from() {
    let set = AclSet::new([], false).with_added([
        acl(R::Topic, "*", T::Literal, "User:*", "*", O::All, P::Allow),
        acl(
            R::Topic,
            "secret",
            T::Prefixed,
            "User:alice",
            "*",
            O::Read,
            P::Deny,
        ),
    ]);
    assert!(allowed(&set, &alice(), O::Read, R::Topic, "public"));
    assert!(!allowed(&set, &alice(), O::Read, R::Topic, "secret-plans"));
    assert!(allowed(&set, &alice(), O::Write, R::Topic, "secret-plans"));
    let bob = KafkaPrincipal::user("bob");
    assert!(allowed(&set, &bob, O::Read, R::Topic, "secret-plans"));
    let decision = set.authorize(&alice(), "127.0.0.1", O::Read, R::Topic, "secret-plans");
    assert!(matches!(decision.rule, Rule::Acl(ref b) if b.entry.permission == P::Deny));
}

#[test]
fn allow_implies_describe_but_deny_does_not_deny_describe() {
    let set = AclSet::new([], false).with_added([
        acl(
            R::Topic,
            "a",
            T::Literal,
            "User:alice",
            "*",
            O::Write,
            P::Allow,
        ),
        acl(
            R::Topic,
            "b",
            T::Literal,
            "User:alice",
            "*",
            O::AlterConfigs,
            P::Allow,
        ),
        acl(
            R::Topic,
            "c",
            T::Literal,
            "User:alice",
            "*",
            O::Describe,
            P::Allow,
        ),
        acl(
            R::Topic,
            "c",
            T::Literal,
            "User:alice",
            "*",
            O::Read,
            P::Deny,
        ),
        acl(
            R::Topic,
            "d",
            T::Literal,
            "User:alice",
            "*",
            O::Create,
            P::Allow,
        ),
    ]);
    assert!(allowed(&set, &alice(), O::Describe, R::Topic, "a"));
    assert!(!allowed(&set, &alice(), O::DescribeConfigs, R::Topic, "a"));
    assert!(allowed(&set, &alice(), O::DescribeConfigs, R::Topic, "b"));
    assert!(!allowed(&set, &alice(), O::Describe, R::Topic, "b"));
    assert!(allowed(&set, &alice(), O::Describe, R::Topic, "c"));
    assert!(!allowed(&set, &alice(), O::Read, R::Topic, "c"));
    // CREATE does not imply DESCRIBE.
    assert!(!allowed(&set, &alice(), O::Describe, R::Topic, "d"));
}

#[test]
fn host_and_principal_type_must_match() {
    let set = AclSet::new([], false).with_added([
        acl(
            R::Topic,
            "t",
            T::Literal,
            "User:alice",
            "10.0.0.1",
            O::Read,
            P::Allow,
        ),
        acl(R::Topic, "u", T::Literal, "Group:*", "*", O::Read, P::Allow),
    ]);
    assert!(
        set.authorize(&alice(), "10.0.0.1", O::Read, R::Topic, "t")
            .allowed
    );
    assert!(
        !set.authorize(&alice(), "10.0.0.2", O::Read, R::Topic, "t")
            .allowed
    );
    // Only `User:*` is the principal wildcard.
    assert!(!allowed(&set, &alice(), O::Read, R::Topic, "u"));
}

#[test]
fn authorized_operations_sets_the_bits_of_allowed_operations() {
    let set = AclSet::new([], false).with_added([
        acl(
            R::Topic,
            "t",
            T::Literal,
            "User:alice",
            "*",
            O::Read,
            P::Allow,
        ),
        acl(
            R::Cluster,
            CLUSTER_NAME,
            T::Literal,
            "User:alice",
            "*",
            O::All,
            P::Allow,
        ),
        acl(
            R::Cluster,
            CLUSTER_NAME,
            T::Literal,
            "User:alice",
            "*",
            O::Alter,
            P::Deny,
        ),
    ]);
    let topic = set.authorized_operations(&alice(), "127.0.0.1", R::Topic, "t");
    assert_eq!(topic, (1 << O::Read.code()) | (1 << O::Describe.code()));
    let cluster = set.authorized_operations(&alice(), "127.0.0.1", R::Cluster, CLUSTER_NAME);
    let expected = R::Cluster
        .supported_operations()
        .iter()
        .filter(|op| **op != O::Alter)
        .fold(0, |bits, op| bits | (1 << op.code()));
    assert_eq!(cluster, expected);
}

#[test]
fn adding_twice_keeps_one_and_removing_returns_what_matched() {
    let read = acl(
        R::Topic,
        "t",
        T::Literal,
        "User:alice",
        "*",
        O::Read,
        P::Allow,
    );
    let write = acl(
        R::Topic,
        "t",
        T::Prefixed,
        "User:alice",
        "*",
        O::Write,
        P::Allow,
    );
    let set = AclSet::new([], false)
        .with_added([read.clone(), write.clone()])
        .with_added([read.clone()]);
    assert_eq!(set.len(), 2);

    let mut filter = AclFilter::any();
    filter.pattern_type = T::Prefixed;
    let (after, removed) = set.with_removed(&filter);
    assert_eq!(removed, vec![write]);
    assert_eq!(after.matching(&AclFilter::any()), vec![read]);
    assert!(!allowed(&after, &alice(), O::Write, R::Topic, "t"));
    assert!(allowed(&after, &alice(), O::Read, R::Topic, "t"));
}

#[test]
fn non_ascii_names_and_prefixes_do_not_panic() {
    let set = AclSet::new([], false).with_added([acl(
        R::Topic,
        "é",
        T::Prefixed,
        "User:alice",
        "*",
        O::Read,
        P::Allow,
    )]);
    // "é" is two bytes; a one-byte prefix length must not split the character.
    let set = set.with_added([acl(
        R::Topic,
        "x",
        T::Prefixed,
        "User:bob",
        "*",
        O::Read,
        P::Allow,
    )]);
    assert!(allowed(&set, &alice(), O::Read, R::Topic, "éa"));
    assert!(allowed(
        &set,
        &KafkaPrincipal::user("bob"),
        O::Read,
        R::Topic,
        "xé"
    ));
    assert!(!allowed(&set, &alice(), O::Read, R::Topic, "a"));
}
