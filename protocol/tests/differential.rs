//! Differential tests against the crates.io `kafka-protocol` crate (v0.18).
//!
//! For each API below and each version in the *intersection* of our schema range and
//! kafka-protocol's range (e.g. kafka-protocol 0.18 supports Produce 3-13 while our schemas cover
//! 0-11, so Produce is compared for 3-11):
//! - our encoding of a random message decodes in kafka-protocol and re-encodes to the same bytes;
//! - kafka-protocol's encoding of its default message (and of the value it decoded above) decodes
//!   in our codec and re-encodes to the same bytes.

use bytes::{Bytes, BytesMut};
use kafka_protocol::protocol::{Decodable, Encodable, Message as KpMessage};
use kalfka_protocol::messages::testing::{Normalize, Random, TestRng};
use kalfka_protocol::Message;
use proptest::prelude::*;

fn ours_to_theirs<O, T>(seed: u64) -> Result<(), String>
where
    O: Message + Random + Normalize + PartialEq + std::fmt::Debug,
    T: Decodable + Encodable + KpMessage + Default + std::fmt::Debug,
{
    let lo = O::MIN_VERSION.max(T::VERSIONS.min);
    let hi = O::MAX_VERSION.min(T::VERSIONS.max);
    assert!(lo <= hi, "{}: no common versions", O::NAME);
    for v in lo..=hi {
        let mut rng = TestRng::new(seed ^ v as u64);
        let mut ours = O::random(&mut rng);
        ours.normalize(v);
        let bytes = ours.encode_to_bytes(v).map_err(|e| e.to_string())?;
        let mut buf = bytes.clone();
        let theirs = T::decode(&mut buf, v)
            .map_err(|e| format!("{} v{v}: kafka-protocol rejected our bytes: {e}", O::NAME))?;
        let mut out = BytesMut::new();
        theirs.encode(&mut out, v).map_err(|e| e.to_string())?;
        if out.freeze() != bytes {
            return Err(format!("{} v{v}: kafka-protocol re-encoded differently\n ours {ours:?}\n theirs {theirs:?}", O::NAME));
        }
        // Theirs → ours, starting from their default value.
        let mut out = BytesMut::new();
        T::default()
            .encode(&mut out, v)
            .map_err(|e| e.to_string())?;
        let their_bytes: Bytes = out.freeze();
        let decoded = O::decode_from(&their_bytes, v)
            .map_err(|e| format!("{} v{v}: we rejected kafka-protocol bytes: {e}", O::NAME))?;
        let again = decoded.encode_to_bytes(v).map_err(|e| e.to_string())?;
        if again != their_bytes {
            return Err(format!(
                "{} v{v}: we re-encoded kafka-protocol default differently",
                O::NAME
            ));
        }
    }
    Ok(())
}

macro_rules! diff_tests {
    ($($name:ident),* $(,)?) => {
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            #[test]
            fn differential(seed: u64) {
                $(
                    if let Err(e) = ours_to_theirs::<
                        kalfka_protocol::messages::$name,
                        kafka_protocol::messages::$name,
                    >(seed) {
                        prop_assert!(false, "{}", e);
                    }
                )*
            }
        }
    };
}

diff_tests!(
    ProduceRequest,
    ProduceResponse,
    FetchRequest,
    FetchResponse,
    ListOffsetsRequest,
    ListOffsetsResponse,
    MetadataRequest,
    MetadataResponse,
    ApiVersionsRequest,
    ApiVersionsResponse,
    CreateTopicsRequest,
    CreateTopicsResponse,
    DeleteTopicsRequest,
    DeleteTopicsResponse,
    InitProducerIdRequest,
    InitProducerIdResponse,
);

#[test]
fn compared_version_ranges() {
    use kalfka_protocol::messages as ours;
    fn range<O: Message, T: KpMessage>() -> (i16, i16) {
        (
            O::MIN_VERSION.max(T::VERSIONS.min),
            O::MAX_VERSION.min(T::VERSIONS.max),
        )
    }
    use kafka_protocol::messages as kp;
    assert_eq!(range::<ours::ProduceRequest, kp::ProduceRequest>(), (3, 12));
    assert_eq!(range::<ours::FetchRequest, kp::FetchRequest>().1, 17);
    assert_eq!(
        range::<ours::ApiVersionsResponse, kp::ApiVersionsResponse>(),
        (0, 4)
    );
    assert_eq!(
        range::<ours::MetadataResponse, kp::MetadataResponse>().1,
        12
    );
}
