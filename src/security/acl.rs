//! ACL values as the Kafka protocol carries them: resource types, pattern types, operations and
//! permissions with their wire codes, resource patterns, access-control entries, bindings and
//! the filters of DescribeAcls / DeleteAcls.
//!
//! Invariants:
//! - An [`AclBinding`] is always concrete: its resource type, pattern type (LITERAL or
//!   PREFIXED), operation and permission are never ANY, MATCH or UNKNOWN, and its principal
//!   parses as `Type:Name` ([`AclBinding::new`] is the only constructor and checks this).
//! - A filter's `None` field matches everything, as a null field does in Kafka's
//!   `AclBindingFilter`; `PatternType::Match` matches the patterns that would apply to the
//!   filter's resource name (the literal name, the `*` wildcard, and every prefix of it).

use std::fmt;

/// The wildcard resource name and host (`*`), as Kafka spells it.
pub const WILDCARD: &str = "*";

/// The only name a CLUSTER resource may have (`kafka-cluster`).
pub const CLUSTER_NAME: &str = "kafka-cluster";

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal => $text:literal,)* }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)*
        }

        impl $name {
            /// Every value, in wire-code order.
            pub const ALL_VALUES: &'static [$name] = &[$($name::$variant,)*];

            /// The wire code (Kafka's `code()`).
            pub fn code(self) -> i8 {
                match self { $($name::$variant => $code,)* }
            }

            /// The value of a wire code; `None` for UNKNOWN (0) and codes Kafka does not define.
            pub fn from_code(code: i8) -> Option<Self> {
                match code { $($code => Some($name::$variant),)* _ => None }
            }

            /// The name Kafka's tools print and accept (`TOPIC`, `PREFIXED`, `DESCRIBE_CONFIGS`, …).
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text,)* }
            }

            /// Parses Kafka's name, ignoring case and accepting `-` for `_`.
            pub fn parse(text: &str) -> Option<Self> {
                let wanted = text.trim().to_ascii_uppercase().replace('-', "_");
                Self::ALL_VALUES.iter().copied().find(|v| v.as_str() == wanted)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

wire_enum!(
    /// The kind of resource an ACL protects (Kafka's `ResourceType`).
    ResourceType {
        /// Filters only: any resource type.
        Any = 1 => "ANY",
        /// A topic.
        Topic = 2 => "TOPIC",
        /// A consumer, share or streams group.
        Group = 3 => "GROUP",
        /// The cluster (name `kafka-cluster`).
        Cluster = 4 => "CLUSTER",
        /// A transactional id.
        TransactionalId = 5 => "TRANSACTIONAL_ID",
        /// A delegation token.
        DelegationToken = 6 => "DELEGATION_TOKEN",
        /// A user (for delegation tokens on behalf of others).
        User = 7 => "USER",
    }
);

wire_enum!(
    /// How an ACL's resource name is matched (Kafka's `PatternType`).
    PatternType {
        /// Filters only: any pattern type.
        Any = 1 => "ANY",
        /// Filters only: every pattern that applies to the filter's name.
        Match = 2 => "MATCH",
        /// The name as it is (or `*`, every resource of the type).
        Literal = 3 => "LITERAL",
        /// Every resource whose name starts with the pattern's name.
        Prefixed = 4 => "PREFIXED",
    }
);

wire_enum!(
    /// What an ACL allows or denies (Kafka's `AclOperation`).
    AclOperation {
        /// Filters only: any operation.
        Any = 1 => "ANY",
        /// Every operation.
        All = 2 => "ALL",
        /// Read (fetch, commit offsets, join a group).
        Read = 3 => "READ",
        /// Write (produce, transactional writes).
        Write = 4 => "WRITE",
        /// Create (topics).
        Create = 5 => "CREATE",
        /// Delete (topics, records, groups).
        Delete = 6 => "DELETE",
        /// Alter (partitions, ACLs).
        Alter = 7 => "ALTER",
        /// Describe (metadata, offsets, groups).
        Describe = 8 => "DESCRIBE",
        /// Inter-broker actions.
        ClusterAction = 9 => "CLUSTER_ACTION",
        /// Describe configurations.
        DescribeConfigs = 10 => "DESCRIBE_CONFIGS",
        /// Alter configurations.
        AlterConfigs = 11 => "ALTER_CONFIGS",
        /// Idempotent produce (InitProducerId without a transactional id).
        IdempotentWrite = 12 => "IDEMPOTENT_WRITE",
        /// Create delegation tokens.
        CreateTokens = 13 => "CREATE_TOKENS",
        /// Describe delegation tokens.
        DescribeTokens = 14 => "DESCRIBE_TOKENS",
        /// Two-phase commit of transactions (KIP-939).
        TwoPhaseCommit = 15 => "TWO_PHASE_COMMIT",
    }
);

wire_enum!(
    /// Whether an ACL allows or denies (Kafka's `AclPermissionType`).
    AclPermission {
        /// Filters only: either.
        Any = 1 => "ANY",
        /// Deny: wins over every ALLOW.
        Deny = 2 => "DENY",
        /// Allow.
        Allow = 3 => "ALLOW",
    }
);

impl ResourceType {
    /// The operations ACLs on this resource type can be checked for, as Kafka 4.4's
    /// `AclEntry.supportedOperations` lists them (the bits of `authorized_operations`).
    pub fn supported_operations(self) -> &'static [AclOperation] {
        use AclOperation::*;
        match self {
            ResourceType::Topic => &[
                Read,
                Write,
                Create,
                Delete,
                Alter,
                Describe,
                DescribeConfigs,
                AlterConfigs,
            ],
            ResourceType::Group => &[Read, Delete, Describe, DescribeConfigs, AlterConfigs],
            ResourceType::Cluster => &[
                Create,
                Alter,
                Describe,
                ClusterAction,
                DescribeConfigs,
                AlterConfigs,
                IdempotentWrite,
            ],
            ResourceType::TransactionalId => &[Write, Describe, TwoPhaseCommit],
            ResourceType::DelegationToken => &[Describe],
            ResourceType::User => &[CreateTokens, DescribeTokens],
            ResourceType::Any => &[],
        }
    }
}

/// A principal as Kafka writes it: `Type:Name` (`User:alice`, `User:*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KafkaPrincipal {
    /// The principal type, `User` for every built-in authentication.
    pub principal_type: String,
    /// The name (the SASL user name, or the mapped certificate subject).
    pub name: String,
}

impl KafkaPrincipal {
    /// The anonymous principal of an unauthenticated PLAINTEXT connection.
    pub fn anonymous() -> Self {
        Self::user("ANONYMOUS")
    }

    /// A `User:` principal.
    pub fn user(name: &str) -> Self {
        KafkaPrincipal {
            principal_type: "User".into(),
            name: name.into(),
        }
    }

    /// Parses `Type:Name` (split at the first colon, both parts non-empty), as Kafka's
    /// `SecurityUtils.parseKafkaPrincipal`.
    pub fn parse(text: &str) -> Option<Self> {
        let (principal_type, name) = text.split_once(':')?;
        if principal_type.is_empty() || name.is_empty() {
            return None;
        }
        Some(KafkaPrincipal {
            principal_type: principal_type.into(),
            name: name.into(),
        })
    }

    /// True for `Type:*`, the principal wildcard.
    pub fn is_wildcard(&self) -> bool {
        self.name == WILDCARD
    }
}

impl fmt::Display for KafkaPrincipal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.principal_type, self.name)
    }
}

/// The resource side of an ACL: type, name and how the name matches.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourcePattern {
    /// The resource type (never ANY in a binding).
    pub resource_type: ResourceType,
    /// The name, the prefix, or `*`.
    pub name: String,
    /// LITERAL or PREFIXED in a binding.
    pub pattern_type: PatternType,
}

impl ResourcePattern {
    /// True if this (concrete) pattern applies to the resource `name`.
    pub fn applies_to(&self, name: &str) -> bool {
        match self.pattern_type {
            PatternType::Literal => self.name == WILDCARD || self.name == name,
            PatternType::Prefixed => name.starts_with(self.name.as_str()),
            PatternType::Any | PatternType::Match => false,
        }
    }
}

/// The entry side of an ACL: who, from where, what, allowed or denied.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccessControlEntry {
    /// `Type:Name`, or `Type:*` for every principal of the type.
    pub principal: KafkaPrincipal,
    /// A client IP address, or `*`.
    pub host: String,
    /// The operation (ALL for every one).
    pub operation: AclOperation,
    /// ALLOW or DENY.
    pub permission: AclPermission,
}

/// One ACL: a resource pattern and an entry. Always concrete (see the module invariants).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AclBinding {
    /// What it protects.
    pub pattern: ResourcePattern,
    /// Who may (or may not) do what.
    pub entry: AccessControlEntry,
}

/// Why a binding given to CreateAcls is refused (the message Kafka's answer carries, with
/// INVALID_REQUEST).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidAcl {
    /// A type, operation or permission that is ANY, MATCH or UNKNOWN.
    #[error("{0}")]
    NotConcrete(&'static str),
    /// The principal is not `Type:Name`.
    #[error("Could not parse principal from `{0}` (no colon is present separating the principal type from the principal name)")]
    Principal(String),
    /// A CLUSTER resource not named `kafka-cluster`.
    #[error("The only valid name for the CLUSTER resource is kafka-cluster")]
    ClusterName,
    /// An empty resource name.
    #[error("Resource name should not be empty")]
    EmptyName,
    /// The operation is not one that applies to the resource type.
    #[error("ACL operation {operation} is not supported for resource type {resource_type}")]
    Operation {
        /// The resource type.
        resource_type: ResourceType,
        /// The operation refused.
        operation: AclOperation,
    },
}

impl AclBinding {
    /// Builds a binding from CreateAcls' fields, validated as Kafka's `AclControlManager`
    /// validates a new ACL.
    pub fn new(
        resource_type: ResourceType,
        name: &str,
        pattern_type: PatternType,
        principal: &str,
        host: &str,
        operation: AclOperation,
        permission: AclPermission,
    ) -> Result<Self, InvalidAcl> {
        if resource_type == ResourceType::Any {
            return Err(InvalidAcl::NotConcrete("Invalid resourceType ANY"));
        }
        if !matches!(pattern_type, PatternType::Literal | PatternType::Prefixed) {
            return Err(InvalidAcl::NotConcrete(
                "Only ACLs with LITERAL or PREFIXED pattern types are allowed",
            ));
        }
        if operation == AclOperation::Any {
            return Err(InvalidAcl::NotConcrete("Invalid operation ANY"));
        }
        if permission == AclPermission::Any {
            return Err(InvalidAcl::NotConcrete("Invalid permissionType ANY"));
        }
        if name.is_empty() {
            return Err(InvalidAcl::EmptyName);
        }
        if resource_type == ResourceType::Cluster && name != CLUSTER_NAME {
            return Err(InvalidAcl::ClusterName);
        }
        let principal = KafkaPrincipal::parse(principal)
            .ok_or_else(|| InvalidAcl::Principal(principal.into()))?;
        if operation != AclOperation::All
            && !resource_type.supported_operations().contains(&operation)
        {
            return Err(InvalidAcl::Operation {
                resource_type,
                operation,
            });
        }
        Ok(AclBinding {
            pattern: ResourcePattern {
                resource_type,
                name: name.into(),
                pattern_type,
            },
            entry: AccessControlEntry {
                principal,
                host: host.into(),
                operation,
                permission,
            },
        })
    }
}

/// A DescribeAcls / DeleteAcls filter; `None` matches every value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AclFilter {
    /// ANY matches every type.
    pub resource_type: ResourceType,
    /// The resource name (with MATCH: the name the patterns must apply to).
    pub name: Option<String>,
    /// ANY, MATCH, LITERAL or PREFIXED.
    pub pattern_type: PatternType,
    /// The principal as written (`User:alice`), compared as text.
    pub principal: Option<String>,
    /// The host as written.
    pub host: Option<String>,
    /// ANY matches every operation.
    pub operation: AclOperation,
    /// ANY matches either permission.
    pub permission: AclPermission,
}

impl AclFilter {
    /// The filter that matches every ACL.
    pub fn any() -> Self {
        AclFilter {
            resource_type: ResourceType::Any,
            name: None,
            pattern_type: PatternType::Any,
            principal: None,
            host: None,
            operation: AclOperation::Any,
            permission: AclPermission::Any,
        }
    }

    /// True if `acl` matches, as Kafka's `AclBindingFilter.matches`.
    pub fn matches(&self, acl: &AclBinding) -> bool {
        self.matches_pattern(&acl.pattern) && self.matches_entry(&acl.entry)
    }

    fn matches_pattern(&self, pattern: &ResourcePattern) -> bool {
        if self.resource_type != ResourceType::Any && self.resource_type != pattern.resource_type {
            return false;
        }
        match self.pattern_type {
            PatternType::Any => self.name.as_deref().is_none_or(|n| n == pattern.name),
            PatternType::Match => match &self.name {
                None => true,
                Some(name) => match pattern.pattern_type {
                    PatternType::Literal => pattern.name == *name || pattern.name == WILDCARD,
                    PatternType::Prefixed => name.starts_with(pattern.name.as_str()),
                    _ => false,
                },
            },
            wanted => {
                wanted == pattern.pattern_type
                    && self.name.as_deref().is_none_or(|n| n == pattern.name)
            }
        }
    }

    fn matches_entry(&self, entry: &AccessControlEntry) -> bool {
        self.principal
            .as_deref()
            .is_none_or(|p| p == entry.principal.to_string())
            && self.host.as_deref().is_none_or(|h| h == entry.host)
            && (self.operation == AclOperation::Any || self.operation == entry.operation)
            && (self.permission == AclPermission::Any || self.permission == entry.permission)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binding(name: &str, pattern: PatternType) -> AclBinding {
        AclBinding::new(
            ResourceType::Topic,
            name,
            pattern,
            "User:alice",
            "*",
            AclOperation::Read,
            AclPermission::Allow,
        )
        .unwrap()
    }

    #[test]
    fn codes_round_trip_and_unknown_codes_are_refused() {
        for op in AclOperation::ALL_VALUES {
            assert_eq!(AclOperation::from_code(op.code()), Some(*op));
            assert_eq!(AclOperation::parse(&op.as_str().to_lowercase()), Some(*op));
        }
        assert_eq!(ResourceType::from_code(0), None);
        assert_eq!(ResourceType::from_code(8), None);
        assert_eq!(PatternType::from_code(4), Some(PatternType::Prefixed));
        assert_eq!(AclPermission::parse("allow"), Some(AclPermission::Allow));
        assert_eq!(
            ResourceType::parse("transactional-id"),
            Some(ResourceType::TransactionalId)
        );
    }

    #[test]
    fn new_binding_is_validated_as_kafka_validates_it() {
        let make = |rt, name: &str, pt, principal: &str, op, perm| {
            AclBinding::new(rt, name, pt, principal, "*", op, perm)
        };
        use AclOperation as O;
        use AclPermission as P;
        use PatternType as T;
        use ResourceType as R;
        assert!(make(R::Topic, "t", T::Literal, "User:a", O::Read, P::Allow).is_ok());
        assert!(make(R::Topic, "*", T::Literal, "User:*", O::All, P::Deny).is_ok());
        assert!(make(R::Any, "t", T::Literal, "User:a", O::Read, P::Allow).is_err());
        assert!(make(R::Topic, "t", T::Match, "User:a", O::Read, P::Allow).is_err());
        assert!(make(R::Topic, "t", T::Any, "User:a", O::Read, P::Allow).is_err());
        assert!(make(R::Topic, "t", T::Literal, "User:a", O::Any, P::Allow).is_err());
        assert!(make(R::Topic, "t", T::Literal, "User:a", O::Read, P::Any).is_err());
        assert_eq!(
            make(R::Topic, "t", T::Literal, "alice", O::Read, P::Allow),
            Err(InvalidAcl::Principal("alice".into()))
        );
        assert_eq!(
            make(R::Cluster, "c", T::Literal, "User:a", O::Alter, P::Allow),
            Err(InvalidAcl::ClusterName)
        );
        assert!(make(
            R::Cluster,
            CLUSTER_NAME,
            T::Literal,
            "User:a",
            O::Alter,
            P::Allow
        )
        .is_ok());
        assert!(matches!(
            make(R::Group, "g", T::Literal, "User:a", O::Write, P::Allow),
            Err(InvalidAcl::Operation { .. })
        ));
        assert_eq!(
            make(R::Topic, "", T::Literal, "User:a", O::Read, P::Allow),
            Err(InvalidAcl::EmptyName)
        );
    }

    #[test]
    fn filters_match_as_kafka_filters_do() {
        let literal = binding("orders", PatternType::Literal);
        let prefixed = binding("ord", PatternType::Prefixed);
        let wildcard = binding("*", PatternType::Literal);
        let other = binding("payments", PatternType::Literal);

        let mut filter = AclFilter::any();
        assert!([&literal, &prefixed, &wildcard, &other]
            .iter()
            .all(|b| filter.matches(b)));

        filter.name = Some("orders".into());
        filter.pattern_type = PatternType::Match;
        let matched: Vec<_> = [&literal, &prefixed, &wildcard, &other]
            .into_iter()
            .filter(|b| filter.matches(b))
            .collect();
        assert_eq!(matched, vec![&literal, &prefixed, &wildcard]);

        filter.pattern_type = PatternType::Literal;
        assert!(filter.matches(&literal) && !filter.matches(&prefixed));

        filter.pattern_type = PatternType::Any;
        filter.name = Some("*".into());
        assert!(filter.matches(&wildcard) && !filter.matches(&literal));

        let mut by_entry = AclFilter::any();
        by_entry.principal = Some("User:bob".into());
        assert!(!by_entry.matches(&literal));
        by_entry.principal = Some("User:alice".into());
        by_entry.operation = AclOperation::Write;
        assert!(!by_entry.matches(&literal));
        by_entry.operation = AclOperation::Read;
        by_entry.permission = AclPermission::Deny;
        assert!(!by_entry.matches(&literal));
        by_entry.permission = AclPermission::Allow;
        assert!(by_entry.matches(&literal));
    }
}
