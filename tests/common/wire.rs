//! A blocking wire-level connection whose every failure is an `io::Error` (for tests whose
//! broker may be killed at any moment), and the small seeded generator those tests share.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kalfka_protocol::header::{
    request_header_version, response_header_version, RequestHeader, ResponseHeader,
};
use kalfka_protocol::messages::Message;
use kalfka_protocol::primitives::Decoder;

/// A small deterministic generator (xorshift64*), so a seed replays the same run.
pub struct Rng(pub u64);

impl Rng {
    /// A generator for `seed` (any value; zero is mapped to a non-zero state).
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    /// The next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    /// True with probability 1/`n`.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// An integer from the environment, or `default`.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One connection: requests are sent one at a time and answered in order.
pub struct Conn {
    stream: TcpStream,
    correlation: i32,
    client_id: &'static str,
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

impl Conn {
    /// Connects (5 s bound); reads time out after 20 s.
    pub fn connect(addr: SocketAddr, client_id: &'static str) -> io::Result<Conn> {
        let stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
        stream.set_read_timeout(Some(Duration::from_secs(20)))?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            correlation: 0,
            client_id,
        })
    }

    /// Sends `req` at `version` without reading the answer (a request left in flight).
    pub fn send<Req: Message>(&mut self, version: i16, req: &Req) -> io::Result<()> {
        self.correlation += 1;
        let header = RequestHeader {
            api_key: Req::API_KEY,
            api_version: version,
            correlation_id: self.correlation,
            client_id: Some(self.client_id.into()),
        };
        let mut buf = BytesMut::new();
        buf.put_i32(0);
        header
            .encode(&mut buf, request_header_version(Req::API_KEY, version))
            .map_err(|_| bad("encode header"))?;
        req.encode(&mut buf, version)
            .map_err(|_| bad("encode body"))?;
        let len = (buf.len() - 4) as i32;
        buf[..4].copy_from_slice(&len.to_be_bytes());
        self.stream.write_all(&buf)
    }

    /// Sends `req` and reads its answer.
    pub fn call<Req: Message, Resp: Message>(
        &mut self,
        version: i16,
        req: &Req,
    ) -> io::Result<Resp> {
        self.send(version, req)?;
        let mut size = [0u8; 4];
        self.stream.read_exact(&mut size)?;
        let size = usize::try_from(i32::from_be_bytes(size)).map_err(|_| bad("frame size"))?;
        let mut body = vec![0u8; size];
        self.stream.read_exact(&mut body)?;
        let body = Bytes::from(body);
        let mut d = Decoder::new(&body);
        let h = ResponseHeader::decode(&mut d, response_header_version(Req::API_KEY, version))
            .map_err(|_| bad("response header"))?;
        if h.correlation_id != self.correlation {
            return Err(bad("correlation id"));
        }
        Resp::decode(&mut d, version).map_err(|_| bad("response body"))
    }
}
