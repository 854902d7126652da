//! A minimal blocking Kafka client over a raw TCP socket, for tests that need exact control of
//! the bytes on the wire (bad frames, pipelining, acks=0) and to read exact error codes.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use kalfka_protocol::header::{
    request_header_version, response_header_version, RequestHeader, ResponseHeader,
};
use kalfka_protocol::messages::Message;
use kalfka_protocol::primitives::Decoder;

/// One connection to the broker.
pub struct RawClient {
    stream: TcpStream,
    next_correlation: i32,
}

impl RawClient {
    /// Connects with a 30 s read timeout (so a broker that hangs fails the test, not CI).
    pub fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("timeout");
        RawClient {
            stream,
            next_correlation: 1,
        }
    }

    /// Changes the read timeout (30 s from [`connect`](Self::connect)).
    pub fn set_read_timeout(&mut self, timeout: Duration) {
        self.stream
            .set_read_timeout(Some(timeout))
            .expect("timeout");
    }

    /// Writes raw bytes.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).expect("write");
    }

    /// Encodes a request frame and returns (frame, correlation id).
    pub fn frame<M: Message>(&mut self, version: i16, body: &M) -> (Vec<u8>, i32) {
        let correlation_id = self.next_correlation;
        self.next_correlation += 1;
        let header = RequestHeader {
            api_key: M::API_KEY,
            api_version: version,
            correlation_id,
            client_id: Some("raw-test".into()),
        };
        let mut buf = BytesMut::new();
        buf.put_i32(0);
        header
            .encode(&mut buf, request_header_version(M::API_KEY, version))
            .expect("encode header");
        body.encode(&mut buf, version).expect("encode body");
        let len = (buf.len() - 4) as i32;
        buf[..4].copy_from_slice(&len.to_be_bytes());
        (buf.to_vec(), correlation_id)
    }

    /// Sends a request; returns its correlation id.
    pub fn send<M: Message>(&mut self, version: i16, body: &M) -> i32 {
        let (frame, id) = self.frame(version, body);
        self.send_raw(&frame);
        id
    }

    /// Reads one response frame body (after the size), or `None` if the broker closed the
    /// connection.
    pub fn recv_frame(&mut self) -> Option<Bytes> {
        let mut size = [0u8; 4];
        if self.stream.read_exact(&mut size).is_err() {
            return None;
        }
        let size = i32::from_be_bytes(size);
        assert!(size >= 4, "response frame size {size}");
        let mut body = vec![0u8; size as usize];
        self.stream
            .read_exact(&mut body)
            .expect("read response body");
        Some(Bytes::from(body))
    }

    /// Reads the response to a request of type `Req` at `version` and decodes it as `Resp`,
    /// checking the correlation id.
    pub fn recv<Req: Message, Resp: Message>(&mut self, version: i16, correlation_id: i32) -> Resp {
        let frame = self
            .recv_frame()
            .expect("a response, not a closed connection");
        let mut d = Decoder::new(&frame);
        let header = ResponseHeader::decode(&mut d, response_header_version(Req::API_KEY, version))
            .expect("response header");
        assert_eq!(
            header.correlation_id, correlation_id,
            "responses come in request order"
        );
        Resp::decode(&mut d, version).expect("response body")
    }

    /// Sends a request and waits for its response.
    pub fn call<Req: Message, Resp: Message>(&mut self, version: i16, body: &Req) -> Resp {
        let id = self.send(version, body);
        self.recv::<Req, Resp>(version, id)
    }

    /// Reads and discards whatever arrives until the broker closes the connection (EOF or
    /// reset) or `within` passes; returns the bytes read and whether it was closed.
    pub fn drain_until_closed(&mut self, within: Duration) -> (usize, bool) {
        let deadline = std::time::Instant::now() + within;
        let mut total = 0;
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return (total, false);
            }
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .expect("timeout");
            match self.stream.read(&mut chunk) {
                Ok(0) => return (total, true),
                Ok(n) => total += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => return (total, true),
            }
        }
    }

    /// True if the broker closed the connection (read returns EOF or reset) within the timeout.
    pub fn is_closed(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(self.stream.read(&mut byte), Ok(0) | Err(_))
    }

    /// Creates a topic (CreateTopics v7) with config overrides; panics unless it was created.
    pub fn create_topic(&mut self, name: &str, partitions: i32, configs: &[(&str, &str)]) {
        use kalfka_protocol::messages::create_topics_request::{
            CreatableTopic, CreatableTopicConfig,
        };
        use kalfka_protocol::messages::{CreateTopicsRequest, CreateTopicsResponse};
        let resp: CreateTopicsResponse = self.call(
            7,
            &CreateTopicsRequest {
                topics: vec![CreatableTopic {
                    name: name.into(),
                    num_partitions: partitions,
                    replication_factor: 1,
                    configs: configs
                        .iter()
                        .map(|(n, v)| CreatableTopicConfig {
                            name: n.to_string(),
                            value: Some(v.to_string()),
                        })
                        .collect(),
                    ..Default::default()
                }],
                timeout_ms: 5000,
                ..Default::default()
            },
        );
        let result = &resp.topics[0];
        assert_eq!(
            result.error_code, 0,
            "create {name}: {:?}",
            result.error_message
        );
    }

    /// Produces `records` to one partition with Produce `version` and `acks`; returns the
    /// partition's (error code, base offset).
    pub fn produce_at(
        &mut self,
        version: i16,
        topic: &str,
        partition: i32,
        records: Bytes,
        acks: i16,
    ) -> (i16, i64) {
        use kalfka_protocol::messages::ProduceResponse;
        let resp: ProduceResponse =
            self.call(version, &produce_request(topic, partition, records, acks));
        let p = &resp.responses[0].partition_responses[0];
        (p.error_code, p.base_offset)
    }

    /// [`produce_at`](Self::produce_at) with Produce v9 to partition 0.
    pub fn produce(&mut self, topic: &str, records: Bytes, acks: i16) -> (i16, i64) {
        self.produce_at(9, topic, 0, records, acks)
    }
}

/// An ApiVersions request with the client software name and version Kafka requires from v3.
pub fn api_versions_request() -> kalfka_protocol::messages::ApiVersionsRequest {
    kalfka_protocol::messages::ApiVersionsRequest {
        client_software_name: "kalfka-tests".into(),
        client_software_version: "1.0".into(),
    }
}

/// The Fetch v11 request [`RawClient::fetch_at`] sends: one partition from `offset`, no wait,
/// up to 1 MiB, outside any fetch session.
pub fn fetch_request(
    topic: &str,
    partition: i32,
    offset: i64,
    isolation_level: i8,
) -> kalfka_protocol::messages::FetchRequest {
    use kalfka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    kalfka_protocol::messages::FetchRequest {
        replica_id: -1,
        max_wait_ms: 0,
        min_bytes: 1,
        max_bytes: 1 << 20,
        isolation_level,
        session_epoch: -1,
        topics: vec![FetchTopic {
            topic: topic.into(),
            partitions: vec![FetchPartition {
                partition,
                fetch_offset: offset,
                partition_max_bytes: 1 << 20,
                ..Default::default()
            }],
            ..Default::default()
        }],
        ..Default::default()
    }
}

impl RawClient {
    /// Fetches (v11) one partition from `offset` without waiting; the partition's answer.
    pub fn fetch_at(
        &mut self,
        topic: &str,
        partition: i32,
        offset: i64,
        isolation_level: i8,
    ) -> kalfka_protocol::messages::fetch_response::PartitionData {
        use kalfka_protocol::messages::{FetchRequest, FetchResponse};
        let resp: FetchResponse = self.call::<FetchRequest, FetchResponse>(
            11,
            &fetch_request(topic, partition, offset, isolation_level),
        );
        resp.responses
            .into_iter()
            .next()
            .and_then(|t| t.partitions.into_iter().next())
            .expect("one partition in the fetch response")
    }

    /// Every record of `partition` from offset 0 up to the log end, as `(offset, value)`,
    /// following batches fetch by fetch (control batches skipped); panics on a fetch error.
    pub fn read_records(&mut self, topic: &str, partition: i32) -> Vec<(i64, Option<Bytes>)> {
        let mut out = Vec::new();
        let mut offset = 0;
        for _ in 0..100_000 {
            let p = self.fetch_at(topic, partition, offset, 0);
            assert_eq!(p.error_code, 0, "fetch {topic}-{partition} at {offset}");
            let records = p.records.unwrap_or_default();
            if records.is_empty() {
                break;
            }
            for b in kalfka_protocol::records::batches(records) {
                let b = b.expect("batch");
                offset = b.header().next_offset();
                if b.header().is_control() {
                    continue;
                }
                for r in b.records().expect("records") {
                    out.push((r.offset(b.header()), r.value));
                }
            }
        }
        out
    }
}

/// A Produce request of `records` to one partition with `acks` (what
/// [`RawClient::produce_at`] sends).
pub fn produce_request(
    topic: &str,
    partition: i32,
    records: Bytes,
    acks: i16,
) -> kalfka_protocol::messages::ProduceRequest {
    use kalfka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    kalfka_protocol::messages::ProduceRequest {
        acks,
        timeout_ms: 5000,
        topic_data: vec![TopicProduceData {
            name: topic.into(),
            partition_data: vec![PartitionProduceData {
                index: partition,
                records: Some(records),
            }],
        }],
        ..Default::default()
    }
}
