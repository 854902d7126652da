//! Every generated message, every version: random value → encode → decode → re-encode, and
//! random bytes into every decoder are refused or decode to a value that round-trips.

use kalfka_protocol::messages::testing::TestRng;
use kalfka_protocol::messages::GENERATED_MESSAGES;
use proptest::prelude::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn roundtrip_every_message_every_version(seed: u64) {
        for m in GENERATED_MESSAGES {
            for v in m.min_version..=m.max_version {
                let mut rng = TestRng::new(seed ^ (m.api_key as u64) << 32 ^ v as u64);
                if let Err(e) = (m.roundtrip)(&mut rng, v) {
                    prop_assert!(false, "{}", e);
                }
            }
        }
    }

    /// Random bytes never panic a decoder; what a decoder accepts is a value that survives
    /// encode/decode unchanged, and versions outside the range are refused.
    #[test]
    fn random_bytes_are_refused_or_decode_consistently(data in proptest::collection::vec(any::<u8>(), 0..256)) {
        for m in GENERATED_MESSAGES {
            for v in m.min_version - 1..=m.max_version + 1 {
                if let Err(e) = (m.decode_any)(&data, v) {
                    prop_assert!(false, "{}", e);
                }
            }
        }
    }
}

#[test]
fn all_requested_apis_present() {
    assert_eq!(GENERATED_MESSAGES.len(), 55 * 2 + 2);
    let t = kalfka_protocol::messages::api_versions_table();
    assert_eq!(t.len(), 55);
    assert!(t.contains(&(30, "CreateAcls", 0, 3, Some(2))));
    assert!(t.contains(&(51, "AlterUserScramCredentials", 0, 0, Some(0))));
    assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
    assert!(t.contains(&(0, "Produce", 0, 12, Some(9))));
    assert!(t.contains(&(18, "ApiVersions", 0, 4, Some(3))));
    assert!(t.contains(&(78, "ShareFetch", 1, 2, Some(0))));
}

#[test]
fn unsupported_versions_error() {
    use bytes::Bytes;
    use kalfka_protocol::messages::{ApiVersionsResponse, ProduceRequest};
    use kalfka_protocol::{DecodeError, EncodeError, Message};
    let b = Bytes::from_static(&[0; 64]);
    assert_eq!(
        ProduceRequest::decode_from(&b, 13),
        Err(DecodeError::UnsupportedVersion {
            api_key: 0,
            version: 13
        })
    );
    assert_eq!(
        ApiVersionsResponse::default().encode_to_bytes(-1),
        Err(EncodeError::UnsupportedVersion {
            api_key: 18,
            version: -1
        })
    );
}

#[test]
fn produce_records_are_zero_copy() {
    use bytes::Bytes;
    use kalfka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kalfka_protocol::messages::ProduceRequest;
    use kalfka_protocol::Message;
    let req = ProduceRequest {
        acks: -1,
        timeout_ms: 1000,
        topic_data: vec![TopicProduceData {
            name: "t".into(),
            partition_data: vec![PartitionProduceData {
                index: 0,
                records: Some(Bytes::from(vec![42u8; 4096])),
            }],
        }],
        ..Default::default()
    };
    for v in [3, 8, 9, 11] {
        let frame = req.encode_to_bytes(v).unwrap();
        let got = ProduceRequest::decode_from(&frame, v).unwrap();
        let rec = got.topic_data[0].partition_data[0]
            .records
            .as_ref()
            .unwrap();
        let start = frame.as_ptr() as usize;
        let p = rec.as_ptr() as usize;
        assert!(
            p >= start && p + rec.len() <= start + frame.len(),
            "records copied"
        );
        assert_eq!(got, req);
    }
}

#[test]
fn tagged_fields_written_only_when_set() {
    use kalfka_protocol::messages::ApiVersionsResponse;
    use kalfka_protocol::Message;
    let mut r = ApiVersionsResponse::default();
    let plain = r.encode_to_bytes(3).unwrap();
    // error_code, empty compact array, throttle, empty tag buffer
    assert_eq!(&plain[..], &[0, 0, 1, 0, 0, 0, 0, 0]);
    r.finalized_features_epoch = 7;
    r.zk_migration_ready = true;
    let tagged = r.encode_to_bytes(3).unwrap();
    assert_eq!(&tagged[7..], &[2, 1, 8, 0, 0, 0, 0, 0, 0, 0, 7, 3, 1, 1]);
    assert_eq!(ApiVersionsResponse::decode_from(&tagged, 3).unwrap(), r);
    // Unknown tags are skipped.
    let unknown = bytes::Bytes::from_static(&[0, 0, 1, 0, 0, 0, 0, 1, 9, 2, 0xde, 0xad]);
    assert_eq!(
        ApiVersionsResponse::decode_from(&unknown, 3).unwrap(),
        ApiVersionsResponse::default()
    );
}
