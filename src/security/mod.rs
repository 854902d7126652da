//! Security: who a connection is (principals) and what it may do (ACLs with the semantics of
//! Kafka's `StandardAuthorizer`).
//!
//! Invariant: the decision ([`authorizer::AclSet::authorize`]) is pure and sans-IO; storing
//! ACLs durably and answering the ACL APIs are the callers' business.

pub mod acl;
pub mod authorizer;
pub mod session;
