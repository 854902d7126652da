//! ShareGroupDescribe shows each member's client host as Kafka does: the address of the
//! connection its last heartbeat came on (`/<ip>`). Requests go through the broker's
//! dispatcher in process with given peer addresses (documentation ranges): distinct client
//! addresses without any network.

use std::net::SocketAddr;
use std::sync::Arc;

use bytes::BytesMut;
use kalfka::api::{dispatch, DispatchOutcome};
use kalfka::broker::Broker;
use kalfka::config::BrokerConfig;
use kalfka::security::session::Session;
use kalfka_protocol::header::{request_header_version, response_header_version};
use kalfka_protocol::header::{RequestHeader, ResponseHeader};
use kalfka_protocol::messages::create_topics_request::CreatableTopic;
use kalfka_protocol::messages::*;
use kalfka_protocol::primitives::Decoder;

/// Sends `req` at `version` as if from `peer`; decodes the response.
async fn call<Req: Message, Resp: Message>(
    broker: &Arc<Broker>,
    peer: &str,
    version: i16,
    req: &Req,
) -> Resp {
    let header = RequestHeader {
        api_key: Req::API_KEY,
        api_version: version,
        correlation_id: 7,
        client_id: Some("host-test".into()),
    };
    let mut buf = BytesMut::new();
    header
        .encode(&mut buf, request_header_version(Req::API_KEY, version))
        .expect("header");
    req.encode(&mut buf, version).expect("body");
    let peer: SocketAddr = peer.parse().expect("peer");
    let DispatchOutcome::Respond(frame) = dispatch(
        broker,
        buf.freeze(),
        peer,
        &Arc::new(Session::anonymous(peer)),
    )
    .await
    else {
        panic!("no response");
    };
    let body = frame.slice(4..);
    let mut d = Decoder::new(&body);
    let h = ResponseHeader::decode(&mut d, response_header_version(Req::API_KEY, version))
        .expect("response header");
    assert_eq!(h.correlation_id, 7);
    Resp::decode(&mut d, version).expect("response")
}

fn heartbeat(member: &str, epoch: i32) -> ShareGroupHeartbeatRequest {
    ShareGroupHeartbeatRequest {
        group_id: "g".into(),
        member_id: member.into(),
        member_epoch: epoch,
        rack_id: None,
        subscribed_topic_names: (epoch == 0).then(|| vec!["t".into()]),
    }
}

async fn hosts(broker: &Arc<Broker>) -> Vec<(String, String)> {
    let d: ShareGroupDescribeResponse = call(
        broker,
        "127.0.0.1:1",
        1,
        &ShareGroupDescribeRequest {
            group_ids: vec!["g".into()],
            include_authorized_operations: false,
        },
    )
    .await;
    let mut out: Vec<(String, String)> = d.groups[0]
        .members
        .iter()
        .map(|m| (m.member_id.clone(), m.client_host.clone()))
        .collect();
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn described_members_show_the_address_of_their_last_heartbeat() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = BrokerConfig::for_tests(dir.path());
    let bound: SocketAddr = "127.0.0.1:9092".parse().expect("addr");
    let broker = Arc::new(
        tokio::task::spawn_blocking(move || Broker::open(config, bound))
            .await
            .expect("join")
            .expect("open"),
    );
    let created: CreateTopicsResponse = call(
        &broker,
        "127.0.0.1:1",
        5,
        &CreateTopicsRequest {
            topics: vec![CreatableTopic {
                name: "t".into(),
                num_partitions: 1,
                replication_factor: 1,
                ..Default::default()
            }],
            timeout_ms: 5000,
            validate_only: false,
        },
    )
    .await;
    assert_eq!(created.topics[0].error_code, 0);

    // Two members on two hosts (documentation addresses: nothing is sent anywhere).
    let a: ShareGroupHeartbeatResponse =
        call(&broker, "192.0.2.10:40001", 1, &heartbeat("a", 0)).await;
    assert_eq!(a.error_code, 0);
    let b: ShareGroupHeartbeatResponse =
        call(&broker, "198.51.100.7:40002", 1, &heartbeat("b", 0)).await;
    assert_eq!(b.error_code, 0);
    assert_eq!(
        hosts(&broker).await,
        vec![
            ("a".into(), "/192.0.2.10".into()),
            ("b".into(), "/198.51.100.7".into())
        ]
    );
    // A member that reconnects from elsewhere shows its new address from its next heartbeat.
    let again: ShareGroupHeartbeatResponse = call(
        &broker,
        "192.0.2.99:40003",
        1,
        &heartbeat("a", a.member_epoch),
    )
    .await;
    assert_eq!(again.error_code, 0);
    assert_eq!(hosts(&broker).await[0], ("a".into(), "/192.0.2.99".into()));
}
