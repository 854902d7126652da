//! Property tests: builder → parse → records() roundtrips for every codec, cross-checks against
//! the independent `kafka-protocol` crate in both directions, and robustness on garbage.

use bytes::{Bytes, BytesMut};
use kafka_protocol::indexmap::IndexMap;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records as kp;
use kalfka_protocol::records::{
    batches, validate_batch, Compression, RecordBatch, RecordBatchBuilder, RecordBatchHeader,
    RecordsError,
};
use proptest::prelude::*;

type Headers = Vec<(String, Option<Vec<u8>>)>;

#[derive(Debug, Clone)]
struct Rec {
    ts: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: Headers,
}

fn payload() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        1 => Just(None),
        3 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(Some),
        1 => (any::<u8>(), 0usize..3000).prop_map(|(b, n)| Some(vec![b; n])),
    ]
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        -1_000_000i64..1_000_000,
        payload(),
        payload(),
        proptest::collection::vec(("[a-z\u{e9}]{0,6}", payload()), 0..4),
    )
        .prop_map(|(dt, key, value, headers)| Rec {
            ts: 1_700_000_000_000 + dt,
            key,
            value,
            headers,
        })
}

fn codec() -> impl Strategy<Value = (Compression, bool)> {
    prop_oneof![
        Just((Compression::None, false)),
        Just((Compression::Gzip, false)),
        Just((Compression::Snappy, false)),
        Just((Compression::Snappy, true)),
        Just((Compression::Lz4, false)),
        Just((Compression::Zstd, false)),
    ]
}

fn build(recs: &[Rec], codec: Compression, xerial: bool, base_offset: i64) -> Bytes {
    let mut b = RecordBatchBuilder::new(codec);
    b.base_offset(base_offset).snappy_xerial(xerial);
    for r in recs {
        let headers: Vec<(&str, Option<&[u8]>)> = r
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_deref()))
            .collect();
        b.append(r.ts, r.key.as_deref(), r.value.as_deref(), &headers);
    }
    b.build().expect("build")
}

fn to_kp(c: Compression) -> kp::Compression {
    match c {
        Compression::None => kp::Compression::None,
        Compression::Gzip => kp::Compression::Gzip,
        Compression::Snappy => kp::Compression::Snappy,
        Compression::Lz4 => kp::Compression::Lz4,
        Compression::Zstd => kp::Compression::Zstd,
    }
}

/// Headers with distinct keys (kafka-protocol stores headers in a map).
fn dedup(headers: &Headers) -> Headers {
    let mut seen = std::collections::HashSet::new();
    headers
        .iter()
        .filter(|(k, _)| seen.insert(k.clone()))
        .cloned()
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn roundtrip_every_codec(
        recs in proptest::collection::vec(rec(), 1..20),
        (codec, xerial) in codec(),
        base_offset in 0i64..1 << 40,
    ) {
        let bytes = build(&recs, codec, xerial, base_offset);
        let header = validate_batch(&bytes).expect("valid");
        prop_assert_eq!(header.compression(), Ok(codec));
        prop_assert_eq!(header.record_count as usize, recs.len());
        prop_assert_eq!(header.base_timestamp, recs[0].ts);
        prop_assert_eq!(header.max_timestamp, recs.iter().map(|r| r.ts).max().unwrap());
        let batch = RecordBatch::parse(bytes).expect("parse");
        batch.verify_crc().expect("crc");
        let got = batch.records().expect("records");
        prop_assert_eq!(got.len(), recs.len());
        for (i, (g, r)) in got.iter().zip(&recs).enumerate() {
            prop_assert_eq!(g.offset(&header), base_offset + i as i64);
            prop_assert_eq!(g.timestamp(&header), r.ts);
            prop_assert_eq!(g.key.as_deref(), r.key.as_deref());
            prop_assert_eq!(g.value.as_deref(), r.value.as_deref());
            let hs: Headers = g.headers.iter()
                .map(|h| (h.key.clone(), h.value.as_ref().map(|v| v.to_vec())))
                .collect();
            prop_assert_eq!(&hs, &r.headers);
        }
    }

    /// Batches written by kafka-protocol decode with ours.
    #[test]
    fn decodes_kafka_protocol_batches(
        recs in proptest::collection::vec(rec(), 1..12),
        (codec, _) in codec(),
    ) {
        let kp_recs: Vec<kp::Record> = recs.iter().enumerate().map(|(i, r)| kp::Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: 5,
            producer_epoch: 2,
            timestamp_type: kp::TimestampType::Creation,
            offset: i as i64,
            sequence: i as i32,
            timestamp: r.ts,
            key: r.key.clone().map(Bytes::from),
            value: r.value.clone().map(Bytes::from),
            headers: dedup(&r.headers).into_iter()
                .map(|(k, v)| (StrBytes::from_string(k), v.map(Bytes::from)))
                .collect::<IndexMap<_, _>>(),
        }).collect();
        let mut buf = BytesMut::new();
        kp::RecordBatchEncoder::encode(
            &mut buf,
            &kp_recs,
            &kp::RecordEncodeOptions { version: 2, compression: to_kp(codec) },
        ).expect("kafka-protocol encode");
        let all: Vec<RecordBatch> = batches(buf.freeze()).collect::<Result<_, _>>().expect("split");
        prop_assert_eq!(all.len(), 1);
        let header = validate_batch(all[0].as_bytes()).expect("valid");
        prop_assert_eq!((header.producer_id, header.producer_epoch, header.base_sequence), (5, 2, 0));
        let got = all[0].records().expect("records");
        prop_assert_eq!(got.len(), recs.len());
        for (g, (r, k)) in got.iter().zip(recs.iter().zip(&kp_recs)) {
            prop_assert_eq!(g.offset(&header), k.offset);
            prop_assert_eq!(g.timestamp(&header), r.ts);
            prop_assert_eq!(g.key.as_deref(), r.key.as_deref());
            prop_assert_eq!(g.value.as_deref(), r.value.as_deref());
            let hs: Headers = g.headers.iter()
                .map(|h| (h.key.clone(), h.value.as_ref().map(|v| v.to_vec())))
                .collect();
            prop_assert_eq!(hs, dedup(&r.headers));
        }
    }

    /// Batches written by us decode with kafka-protocol (raw and xerial snappy included).
    #[test]
    fn kafka_protocol_decodes_ours(
        recs in proptest::collection::vec(rec(), 1..12),
        (codec, xerial) in codec(),
    ) {
        let recs: Vec<Rec> = recs.into_iter().map(|mut r| { r.headers = dedup(&r.headers); r }).collect();
        let mut bytes = build(&recs, codec, xerial, 77);
        let set = kp::RecordBatchDecoder::decode(&mut bytes).expect("kafka-protocol decode");
        prop_assert_eq!(set.records.len(), recs.len());
        for (i, (k, r)) in set.records.iter().zip(&recs).enumerate() {
            prop_assert_eq!(k.offset, 77 + i as i64);
            prop_assert_eq!(k.timestamp, r.ts);
            prop_assert_eq!(k.key.as_deref(), r.key.as_deref());
            prop_assert_eq!(k.value.as_deref(), r.value.as_deref());
            let hs: Headers = k.headers.iter()
                .map(|(hk, v)| (hk.to_string(), v.as_ref().map(|v| v.to_vec())))
                .collect();
            prop_assert_eq!(&hs, &r.headers);
        }
    }

    /// Every strict prefix of a valid batch is Truncated, for every entry point.
    #[test]
    fn truncated_batches(
        recs in proptest::collection::vec(rec(), 1..5),
        (codec, xerial) in codec(),
        cut in any::<proptest::sample::Index>(),
    ) {
        let bytes = build(&recs, codec, xerial, 0);
        let len = cut.index(bytes.len()); // 0 .. len-1
        let short = bytes.slice(..len);
        prop_assert_eq!(validate_batch(&short), Err(RecordsError::Truncated));
        if len > 0 {
            let items: Vec<_> = batches(short.clone()).collect();
            prop_assert_eq!(items, vec![Err(RecordsError::Truncated)]);
        }
        prop_assert_eq!(RecordBatch::parse(short).unwrap_err(), RecordsError::Truncated);
    }

    /// Random bytes never panic anywhere.
    #[test]
    fn garbage_never_panics(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        exercise(Bytes::from(data));
    }

    /// Garbage behind a valid header (with a consistent length and correct CRC) reaches the
    /// decompressors and the record decoder; they must fail cleanly.
    #[test]
    fn garbage_records_region_never_panics(
        body in proptest::collection::vec(any::<u8>(), 0..600),
        codec_id in 0i16..8,
        count in prop_oneof![Just(1i32), 0i32..10, any::<i32>()],
        xerial_prefix in any::<bool>(),
    ) {
        let mut region = Vec::new();
        if xerial_prefix {
            region.extend_from_slice(b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01");
        }
        region.extend_from_slice(&body);
        let header = RecordBatchHeader {
            base_offset: 0,
            batch_length: (49 + region.len()) as i32,
            partition_leader_epoch: -1,
            magic: 2,
            crc: 0,
            attributes: codec_id,
            last_offset_delta: count.wrapping_sub(1),
            base_timestamp: 0,
            max_timestamp: 0,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
            record_count: count,
        };
        let mut batch = header.to_bytes().to_vec();
        batch.extend_from_slice(&region);
        kalfka_protocol::records::write_crc(&mut batch);
        exercise(Bytes::from(batch));
    }

    /// Single-byte corruptions of a valid compressed batch never panic.
    #[test]
    fn mutated_batches_never_panic(
        recs in proptest::collection::vec(rec(), 1..5),
        (codec, xerial) in codec(),
        at in any::<proptest::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = build(&recs, codec, xerial, 0).to_vec();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        kalfka_protocol::records::write_crc(&mut bytes);
        exercise(Bytes::from(bytes));
    }
}

/// Runs every parser on `data` (none may panic) and checks that what they accept is
/// consistent: a batch `validate_batch` accepts fills the input, has the CRC it claims and a
/// count matching its last offset delta; records that decode are exactly `record_count`.
fn exercise(data: Bytes) {
    if let Ok(h) = validate_batch(&data) {
        assert_eq!(h.total_size(), data.len(), "accepted batch fills the input");
        assert_eq!(
            kalfka_protocol::records::compute_crc(&data),
            h.crc,
            "accepted CRC"
        );
        assert!(h.record_count >= 1 && h.last_offset_delta == h.record_count - 1);
    }
    let _ = kalfka_protocol::records::peek_batch_size(&data);
    if let Ok(h) = RecordBatchHeader::parse(&data) {
        let _ = (
            h.compression(),
            h.timestamp_type(),
            h.total_size(),
            h.next_offset(),
        );
    }
    for batch in batches(data).take(64) {
        let Ok(batch) = batch else { break };
        let _ = batch.verify_crc();
        if let Ok(records) = batch.records_with_limit(1 << 20) {
            assert_eq!(
                records.len() as i64,
                i64::from(batch.header().record_count),
                "decoded records match the declared count"
            );
        }
    }
}
