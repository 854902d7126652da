//! Who is on a connection and how they came in: the [`Session`] every request carries.
//!
//! Invariants: a session is immutable; authentication (SASL, a client certificate) replaces
//! the connection's session with a new one rather than changing it, so a request sees one
//! principal from start to end. An unauthenticated PLAINTEXT connection is `User:ANONYMOUS`.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use super::acl::KafkaPrincipal;

/// A listener's security protocol, as `listener.security.protocol.map` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecurityProtocol {
    /// No TLS, no authentication.
    Plaintext,
    /// TLS; the principal comes from the client certificate, if any.
    Ssl,
    /// SASL authentication without TLS.
    SaslPlaintext,
    /// SASL authentication over TLS.
    SaslSsl,
}

impl SecurityProtocol {
    /// Kafka's name (`PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL`).
    pub fn as_str(self) -> &'static str {
        match self {
            SecurityProtocol::Plaintext => "PLAINTEXT",
            SecurityProtocol::Ssl => "SSL",
            SecurityProtocol::SaslPlaintext => "SASL_PLAINTEXT",
            SecurityProtocol::SaslSsl => "SASL_SSL",
        }
    }

    /// Parses Kafka's name, ignoring case.
    pub fn parse(text: &str) -> Option<Self> {
        match text.trim().to_ascii_uppercase().as_str() {
            "PLAINTEXT" => Some(SecurityProtocol::Plaintext),
            "SSL" => Some(SecurityProtocol::Ssl),
            "SASL_PLAINTEXT" => Some(SecurityProtocol::SaslPlaintext),
            "SASL_SSL" => Some(SecurityProtocol::SaslSsl),
            _ => None,
        }
    }

    /// Whether the listener speaks TLS.
    pub fn is_tls(self) -> bool {
        matches!(self, SecurityProtocol::Ssl | SecurityProtocol::SaslSsl)
    }

    /// Whether the listener requires SASL authentication before serving requests.
    pub fn is_sasl(self) -> bool {
        matches!(
            self,
            SecurityProtocol::SaslPlaintext | SecurityProtocol::SaslSsl
        )
    }
}

impl fmt::Display for SecurityProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The identity and origin of a connection's requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The authenticated principal (`User:ANONYMOUS` when nobody authenticated).
    pub principal: KafkaPrincipal,
    /// The listener's name (`PLAINTEXT`, `SASL_SSL`, `CLIENT`, …).
    pub listener: Arc<str>,
    /// The listener's security protocol.
    pub protocol: SecurityProtocol,
    /// The client's address.
    pub client_addr: SocketAddr,
    /// Whether a built-in operator path made the request (the web console): it is not a
    /// client of a listener and is not subject to ACLs.
    pub internal: bool,
}

impl Session {
    /// An unauthenticated connection on the default PLAINTEXT listener.
    pub fn anonymous(client_addr: SocketAddr) -> Self {
        Session {
            principal: KafkaPrincipal::anonymous(),
            listener: Arc::from("PLAINTEXT"),
            protocol: SecurityProtocol::Plaintext,
            client_addr,
            internal: false,
        }
    }

    /// The web console's session: an operator on the HTTP endpoint, not subject to ACLs.
    pub fn console(client_addr: SocketAddr) -> Self {
        Session {
            principal: KafkaPrincipal::user("kalfka-console"),
            listener: Arc::from("CONSOLE"),
            protocol: SecurityProtocol::Plaintext,
            client_addr,
            internal: true,
        }
    }

    /// The client's IP address as text, as ACL host fields compare it.
    pub fn host(&self) -> String {
        self.client_addr.ip().to_string()
    }
}
