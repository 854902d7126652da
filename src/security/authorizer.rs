//! The ACL decision, with the semantics of Kafka's `StandardAuthorizer`.
//!
//! Invariants (each as `StandardAuthorizerData` decides):
//! - A super user (`super.users`, compared as `Type:Name`) is allowed everything.
//! - The ACLs that apply to a resource are the LITERAL ones with its exact name, the LITERAL
//!   `*` wildcard of its type, and the PREFIXED ones whose name starts the resource's name.
//! - Among those, an entry applies to a request if its principal is the request's principal
//!   or `User:*`, its host is the client's IP address or `*`, and its operation is the one
//!   asked, ALL, or (for ALLOW entries only) one that implies it: READ, WRITE, DELETE and ALTER
//!   imply DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS.
//! - One applicable DENY denies; otherwise one applicable ALLOW allows; otherwise the request
//!   is denied — unless the resource has no ACL at all (for any principal), where
//!   `allow.everyone.if.no.acl.found` decides.
//!
//! The decision is a pure function of an immutable [`AclSet`]: callers swap in a new set after
//! CreateAcls / DeleteAcls and authorize against a snapshot without holding a lock.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use super::acl::{
    AccessControlEntry, AclBinding, AclFilter, AclOperation, AclPermission, KafkaPrincipal,
    PatternType, ResourceType, WILDCARD,
};

/// Why a request was allowed or denied, for the audit log line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rule {
    /// The principal is in `super.users`.
    SuperUser,
    /// This ACL decided.
    Acl(AclBinding),
    /// The resource has no ACL: `allow.everyone.if.no.acl.found` decided.
    NoAclFound,
    /// The resource has ACLs, none of which allows this request.
    NoMatchingAllow,
}

/// The outcome of one authorization.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// True if the request may go ahead.
    pub allowed: bool,
    /// What decided it.
    pub rule: Rule,
}

/// The entries that apply to one resource type, indexed for the lookup of one resource name.
#[derive(Debug, Default, Clone)]
struct TypeIndex {
    /// LITERAL patterns by name, `*` included.
    literal: HashMap<String, Vec<AccessControlEntry>>,
    /// PREFIXED patterns by prefix.
    prefixed: HashMap<String, Vec<AccessControlEntry>>,
    /// The distinct byte lengths of the prefixes, so a lookup tries only those.
    prefix_lengths: BTreeSet<usize>,
}

/// Every ACL, and the policy for resources without one. Immutable: changes build a new set.
#[derive(Debug, Clone, Default)]
pub struct AclSet {
    bindings: BTreeSet<AclBinding>,
    index: HashMap<ResourceType, TypeIndex>,
    super_users: HashSet<String>,
    allow_if_no_acl: bool,
}

impl AclSet {
    /// An empty set with Kafka's policy: `super.users` (`Type:Name` strings) and
    /// `allow.everyone.if.no.acl.found`.
    pub fn new(super_users: impl IntoIterator<Item = String>, allow_if_no_acl: bool) -> Self {
        AclSet {
            super_users: super_users.into_iter().collect(),
            allow_if_no_acl,
            ..Default::default()
        }
    }

    /// The set with `bindings` added (duplicates are ignored, as Kafka ignores them).
    pub fn with_added(&self, bindings: impl IntoIterator<Item = AclBinding>) -> Self {
        let mut all = self.bindings.clone();
        all.extend(bindings);
        self.rebuilt(all)
    }

    /// The set without the bindings `filter` matches, and those removed (in sorted order).
    pub fn with_removed(&self, filter: &AclFilter) -> (Self, Vec<AclBinding>) {
        let (removed, kept): (BTreeSet<_>, BTreeSet<_>) = self
            .bindings
            .iter()
            .cloned()
            .partition(|b| filter.matches(b));
        (self.rebuilt(kept), removed.into_iter().collect())
    }

    /// The bindings `filter` matches, sorted by resource then entry.
    pub fn matching(&self, filter: &AclFilter) -> Vec<AclBinding> {
        self.bindings
            .iter()
            .filter(|b| filter.matches(b))
            .cloned()
            .collect()
    }

    /// Every binding.
    pub fn bindings(&self) -> impl Iterator<Item = &AclBinding> {
        self.bindings.iter()
    }

    /// The number of bindings.
    pub fn len(&self) -> usize {
        self.bindings.len()
    }

    /// True if there is no binding.
    pub fn is_empty(&self) -> bool {
        self.bindings.is_empty()
    }

    fn rebuilt(&self, bindings: BTreeSet<AclBinding>) -> Self {
        let mut index: HashMap<ResourceType, TypeIndex> = HashMap::new();
        for binding in &bindings {
            let by_type = index.entry(binding.pattern.resource_type).or_default();
            let name = binding.pattern.name.clone();
            let entry = binding.entry.clone();
            match binding.pattern.pattern_type {
                PatternType::Prefixed => {
                    by_type.prefix_lengths.insert(name.len());
                    by_type.prefixed.entry(name).or_default().push(entry);
                }
                _ => by_type.literal.entry(name).or_default().push(entry),
            }
        }
        AclSet {
            bindings,
            index,
            super_users: self.super_users.clone(),
            allow_if_no_acl: self.allow_if_no_acl,
        }
    }

    /// Decides whether `principal`, connected from `host` (an IP address as text), may do
    /// `operation` on the resource `resource_type`/`name`.
    pub fn authorize(
        &self,
        principal: &KafkaPrincipal,
        host: &str,
        operation: AclOperation,
        resource_type: ResourceType,
        name: &str,
    ) -> Decision {
        if !self.super_users.is_empty() && self.super_users.contains(&principal.to_string()) {
            return Decision {
                allowed: true,
                rule: Rule::SuperUser,
            };
        }
        let Some(by_type) = self.index.get(&resource_type) else {
            return self.no_acl_found();
        };
        let mut candidates: Vec<(PatternType, &str, &[AccessControlEntry])> = Vec::new();
        if let Some(entries) = by_type.literal.get(name) {
            candidates.push((PatternType::Literal, name, entries));
        }
        if name != WILDCARD {
            if let Some(entries) = by_type.literal.get(WILDCARD) {
                candidates.push((PatternType::Literal, WILDCARD, entries));
            }
        }
        for &len in by_type.prefix_lengths.range(..=name.len()) {
            if let Some(prefix) = name.get(..len) {
                if let Some(entries) = by_type.prefixed.get(prefix) {
                    candidates.push((PatternType::Prefixed, prefix, entries));
                }
            }
        }
        if candidates.is_empty() {
            return self.no_acl_found();
        }
        let mut allow: Option<AclBinding> = None;
        for (pattern_type, pattern_name, entries) in candidates {
            for entry in entries {
                match entry_result(entry, principal, host, operation) {
                    Some(AclPermission::Deny) => {
                        return Decision {
                            allowed: false,
                            rule: Rule::Acl(binding_of(
                                resource_type,
                                pattern_name,
                                pattern_type,
                                entry,
                            )),
                        };
                    }
                    Some(_) if allow.is_none() => {
                        allow = Some(binding_of(resource_type, pattern_name, pattern_type, entry));
                    }
                    _ => {}
                }
            }
        }
        match allow {
            Some(binding) => Decision {
                allowed: true,
                rule: Rule::Acl(binding),
            },
            None => Decision {
                allowed: false,
                rule: Rule::NoMatchingAllow,
            },
        }
    }

    /// The `authorized_operations` bit field of Metadata, DescribeCluster and DescribeGroups:
    /// bit `code` set for each supported operation of the type that is allowed.
    pub fn authorized_operations(
        &self,
        principal: &KafkaPrincipal,
        host: &str,
        resource_type: ResourceType,
        name: &str,
    ) -> i32 {
        resource_type
            .supported_operations()
            .iter()
            .filter(|op| {
                self.authorize(principal, host, **op, resource_type, name)
                    .allowed
            })
            .fold(0, |bits, op| bits | (1 << op.code()))
    }

    fn no_acl_found(&self) -> Decision {
        Decision {
            allowed: self.allow_if_no_acl,
            rule: Rule::NoAclFound,
        }
    }
}

/// The bindings grouped by resource pattern, as DescribeAcls answers them.
pub fn group_by_resource(
    bindings: Vec<AclBinding>,
) -> BTreeMap<super::acl::ResourcePattern, Vec<AccessControlEntry>> {
    let mut grouped: BTreeMap<_, Vec<_>> = BTreeMap::new();
    for binding in bindings {
        grouped
            .entry(binding.pattern)
            .or_default()
            .push(binding.entry);
    }
    grouped
}

fn binding_of(
    resource_type: ResourceType,
    name: &str,
    pattern_type: PatternType,
    entry: &AccessControlEntry,
) -> AclBinding {
    AclBinding {
        pattern: super::acl::ResourcePattern {
            resource_type,
            name: name.into(),
            pattern_type,
        },
        entry: entry.clone(),
    }
}

/// The permission of `entry` if it applies to this principal, host and operation.
fn entry_result(
    entry: &AccessControlEntry,
    principal: &KafkaPrincipal,
    host: &str,
    operation: AclOperation,
) -> Option<AclPermission> {
    let principal_matches = entry.principal == *principal
        || (entry.principal.principal_type == "User" && entry.principal.name == WILDCARD);
    if !principal_matches || (entry.host != WILDCARD && entry.host != host) {
        return None;
    }
    let operation_matches = entry.operation == AclOperation::All
        || entry.operation == operation
        || (entry.permission == AclPermission::Allow
            && match operation {
                AclOperation::Describe => matches!(
                    entry.operation,
                    AclOperation::Read
                        | AclOperation::Write
                        | AclOperation::Delete
                        | AclOperation::Alter
                ),
                AclOperation::DescribeConfigs => entry.operation == AclOperation::AlterConfigs,
                _ => false,
            });
    operation_matches.then_some(entry.permission)
}

#[cfg(test)]
#[path = "authorizer_tests.rs"]
mod tests;
