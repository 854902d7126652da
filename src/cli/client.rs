//! A small async Kafka client for the `kalfka` command line: one connection, requests sent one
//! at a time, versions negotiated with ApiVersions. Works against any Kafka-protocol broker.

use std::collections::HashMap;
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::header::{
    request_header_version, response_header_version, RequestHeader, ResponseHeader,
};
use kalfka_protocol::messages::{ApiVersionsRequest, ApiVersionsResponse, Message};
use kalfka_protocol::primitives::Decoder;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response frame the client accepts.
const MAX_RESPONSE_BYTES: usize = 256 * 1024 * 1024;

/// What went wrong talking to the broker, or what the broker refused.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Connecting, reading or writing failed.
    #[error("{0}")]
    Io(String),
    /// A request or response could not be encoded or decoded.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// The broker does not serve a needed API at a usable version.
    #[error("the broker does not support {0}")]
    Unsupported(&'static str),
    /// The broker answered with an error code: printed as `CONTEXT: NAME: MESSAGE`, with
    /// Kafka's name of the code (UNKNOWN_TOPIC_OR_PARTITION) and the broker's message.
    #[error("{context}: {name}{}", .message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Broker {
        /// What was being done (`produce to orders-0`).
        context: String,
        /// The wire error code.
        code: i16,
        /// Kafka's name of the code, or `error N` for a code Kalfka does not know.
        name: String,
        /// The broker's message, else a short explanation of the code, if any.
        message: Option<String>,
    },
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
}

impl CliError {
    /// A broker error from a wire code, or `Ok` for code 0.
    pub fn check(
        what: impl Into<String>,
        code: i16,
        message: Option<String>,
    ) -> Result<(), CliError> {
        if code == 0 {
            return Ok(());
        }
        let known = ErrorCode::from_code(code);
        // Kafka's names (UNKNOWN_TOPIC_OR_PARTITION), as Kafka's tools print them.
        let name = known
            .map(|c| c.name().to_string())
            .unwrap_or_else(|| format!("error {code}"));
        let message = message.filter(|m| !m.is_empty()).or_else(|| match known {
            Some(ErrorCode::UnknownTopicOrPartition) => Some("no such topic or partition".into()),
            _ => None,
        });
        Err(CliError::Broker {
            context: what.into(),
            code,
            name,
            message,
        })
    }

    /// The wire error code when the broker refused, else `None`.
    pub fn code(&self) -> Option<i16> {
        match self {
            CliError::Broker { code, .. } => Some(*code),
            _ => None,
        }
    }
}

/// One connection to a broker.
pub struct Client {
    bootstrap: String,
    stream: TcpStream,
    next_correlation: i32,
    versions: HashMap<i16, (i16, i16)>,
    timeout: Duration,
}

impl Client {
    /// Connects to `bootstrap` (`host:port`) and negotiates API versions.
    pub async fn connect(bootstrap: &str, timeout: Duration) -> Result<Client, CliError> {
        let stream = tokio::time::timeout(timeout, TcpStream::connect(bootstrap))
            .await
            .map_err(|_| CliError::Io(format!("connecting to {bootstrap} timed out")))?
            .map_err(|e| CliError::Io(format!("cannot connect to {bootstrap}: {e}")))?;
        let mut client = Client {
            bootstrap: bootstrap.to_string(),
            stream,
            next_correlation: 1,
            versions: HashMap::new(),
            timeout,
        };
        let resp: ApiVersionsResponse = client.call_at(0, &ApiVersionsRequest::default()).await?;
        CliError::check("ApiVersions", resp.error_code, None)?;
        client.versions = resp
            .api_keys
            .iter()
            .map(|k| (k.api_key, (k.min_version, k.max_version)))
            .collect();
        Ok(client)
    }

    /// The `host:port` this client connected to.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// The time limit of each request.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The version to use for `M`: the highest both sides know, at most `max`.
    pub fn version<M: Message>(&self, name: &'static str, max: i16) -> Result<i16, CliError> {
        let (lo, hi) = self
            .versions
            .get(&M::API_KEY)
            .copied()
            .ok_or(CliError::Unsupported(name))?;
        let v = hi.min(max);
        if v < lo {
            return Err(CliError::Unsupported(name));
        }
        Ok(v)
    }

    /// Sends `body` at the negotiated version (at most `max`) and decodes the response.
    pub async fn call<Req: Message, Resp: Message>(
        &mut self,
        name: &'static str,
        max: i16,
        body: &Req,
    ) -> Result<(i16, Resp), CliError> {
        let version = self.version::<Req>(name, max)?;
        let resp = self.call_at(version, body).await?;
        Ok((version, resp))
    }

    /// Sends `body` at the negotiated version (at most `max`) without reading a response:
    /// for a Produce with acks=0, which the broker never answers.
    pub async fn send<Req: Message>(
        &mut self,
        name: &'static str,
        max: i16,
        body: &Req,
    ) -> Result<(), CliError> {
        let version = self.version::<Req>(name, max)?;
        let (_, buf) = self.frame(version, body)?;
        tokio::time::timeout(self.timeout, self.stream.write_all(&buf))
            .await
            .map_err(|_| CliError::Io("the broker did not take the request in time".into()))?
            .map_err(|e| CliError::Io(format!("connection failed: {e}")))
    }

    /// The request frame (size prefix included) of `body` at `version`, and its correlation id.
    fn frame<Req: Message>(
        &mut self,
        version: i16,
        body: &Req,
    ) -> Result<(i32, BytesMut), CliError> {
        let correlation_id = self.next_correlation;
        self.next_correlation = self.next_correlation.wrapping_add(1);
        let header = RequestHeader {
            api_key: Req::API_KEY,
            api_version: version,
            correlation_id,
            client_id: Some("kalfka-cli".into()),
        };
        let mut buf = BytesMut::new();
        buf.put_i32(0);
        header
            .encode(&mut buf, request_header_version(Req::API_KEY, version))
            .map_err(|e| CliError::Protocol(e.to_string()))?;
        body.encode(&mut buf, version)
            .map_err(|e| CliError::Protocol(e.to_string()))?;
        let len = i32::try_from(buf.len() - 4)
            .map_err(|_| CliError::Protocol("request too large".into()))?;
        buf[..4].copy_from_slice(&len.to_be_bytes());
        Ok((correlation_id, buf))
    }

    async fn call_at<Req: Message, Resp: Message>(
        &mut self,
        version: i16,
        body: &Req,
    ) -> Result<Resp, CliError> {
        let (correlation_id, buf) = self.frame(version, body)?;
        let frame = tokio::time::timeout(self.timeout, async {
            self.stream.write_all(&buf).await?;
            let mut size = [0u8; 4];
            self.stream.read_exact(&mut size).await?;
            let size = usize::try_from(i32::from_be_bytes(size)).unwrap_or(usize::MAX);
            if size > MAX_RESPONSE_BYTES {
                return Err(std::io::Error::other(format!(
                    "response frame of {size} bytes"
                )));
            }
            let mut body = vec![0u8; size];
            self.stream.read_exact(&mut body).await?;
            Ok::<_, std::io::Error>(Bytes::from(body))
        })
        .await
        .map_err(|_| CliError::Io("the broker did not answer in time".into()))?
        .map_err(|e| CliError::Io(format!("connection failed: {e}")))?;
        let mut d = Decoder::new(&frame);
        let resp_header =
            ResponseHeader::decode(&mut d, response_header_version(Req::API_KEY, version))
                .map_err(|e| CliError::Protocol(e.to_string()))?;
        if resp_header.correlation_id != correlation_id {
            return Err(CliError::Protocol("response out of order".into()));
        }
        Resp::decode(&mut d, version).map_err(|e| CliError::Protocol(e.to_string()))
    }
}
