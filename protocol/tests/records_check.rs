//! Property tests of `check_records`, the broker's record-by-record validation: every batch the
//! builder makes passes with exactly the rule violations its records have; any single byte
//! changed in the records region, or a count that lies, is either refused or still describes
//! exactly `record_count` well-formed records (checked against the independent full decoder).

use bytes::Bytes;
use kalfka_protocol::records::{
    check_records, validate_batch, write_crc, Compression, RecordBatch, RecordBatchBuilder,
    RecordRules, Violation,
};
use proptest::prelude::*;

const NOW: i64 = 1_700_000_000_000;

fn permissive() -> RecordRules {
    RecordRules {
        require_key: false,
        create_time: true,
        now_ms: NOW,
        before_max_ms: i64::MAX,
        after_max_ms: i64::MAX,
        max_decompressed: 8 << 20,
    }
}

#[derive(Debug, Clone)]
struct Rec {
    dt: i64,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    headers: usize,
}

fn rec() -> impl Strategy<Value = Rec> {
    (
        -10_000i64..10_000,
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40)),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..200)),
        0usize..3,
    )
        .prop_map(|(dt, key, value, headers)| Rec {
            dt,
            key,
            value,
            headers,
        })
}

fn codec() -> impl Strategy<Value = Compression> {
    prop_oneof![
        Just(Compression::None),
        Just(Compression::Gzip),
        Just(Compression::Snappy),
        Just(Compression::Lz4),
        Just(Compression::Zstd),
    ]
}

fn build(recs: &[Rec], codec: Compression) -> Bytes {
    let mut b = RecordBatchBuilder::new(codec);
    for r in recs {
        let headers: Vec<(&str, Option<&[u8]>)> =
            (0..r.headers).map(|_| ("h", Some(&b"v"[..]))).collect();
        b.append(NOW + r.dt, r.key.as_deref(), r.value.as_deref(), &headers);
    }
    b.build().expect("batch")
}

proptest! {
    #[test]
    fn built_batches_pass_with_exactly_their_violations(
        recs in proptest::collection::vec(rec(), 1..20),
        codec in codec(),
        window in 0i64..20_000,
    ) {
        let batch = build(&recs, codec);
        let header = validate_batch(&batch).expect("valid batch");
        prop_assert_eq!(check_records(&batch, &header, &permissive()), Ok(vec![]));

        let rules = RecordRules { require_key: true, before_max_ms: window, after_max_ms: window, ..permissive() };
        let found: Vec<(i32, bool)> = check_records(&batch, &header, &rules)
            .expect("well-formed")
            .into_iter()
            .map(|v| (v.index, v.violation == Violation::MissingKey))
            .collect();
        let expected: Vec<(i32, bool)> = recs
            .iter()
            .enumerate()
            .filter_map(|(i, r)| {
                if r.key.is_none() {
                    Some((i as i32, true))
                } else {
                    (r.dt.abs() > window).then_some((i as i32, false))
                }
            })
            .collect();
        prop_assert_eq!(found, expected);
    }

    #[test]
    fn a_lying_count_is_refused(
        recs in proptest::collection::vec(rec(), 1..10),
        codec in codec(),
        claimed in 1i32..50,
    ) {
        prop_assume!(claimed as usize != recs.len());
        let mut batch = build(&recs, codec).to_vec();
        batch[23..27].copy_from_slice(&(claimed - 1).to_be_bytes());
        batch[57..61].copy_from_slice(&claimed.to_be_bytes());
        write_crc(&mut batch);
        let header = validate_batch(&batch).expect("header still consistent");
        prop_assert!(check_records(&batch, &header, &permissive()).is_err());
    }

    #[test]
    fn a_corrupted_region_is_refused_or_still_well_formed(
        recs in proptest::collection::vec(rec(), 1..10),
        at in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut batch = build(&recs, Compression::None).to_vec();
        let region = 61..batch.len();
        let i = region.start + at.index(region.len());
        prop_assume!(batch[i] != byte);
        batch[i] = byte;
        write_crc(&mut batch);
        let header = validate_batch(&batch).expect("header untouched");
        if check_records(&batch, &header, &permissive()).is_ok() {
            // Accepted: the full decoder agrees that exactly record_count records are there,
            // with offset deltas 0..count.
            let decoded = RecordBatch::parse(Bytes::from(batch)).expect("batch").records();
            let decoded = decoded.expect("accepted batches decode");
            prop_assert_eq!(decoded.len(), recs.len());
            for (i, r) in decoded.iter().enumerate() {
                prop_assert_eq!(r.offset_delta as usize, i);
            }
        }
    }

    #[test]
    fn garbage_never_panics_and_is_refused(region in proptest::collection::vec(any::<u8>(), 0..300), codec in codec()) {
        let mut batch = build(&[Rec { dt: 0, key: None, value: None, headers: 0 }], codec).to_vec();
        batch.truncate(61);
        batch.extend_from_slice(&region);
        let len = (batch.len() - 12) as i32;
        batch[8..12].copy_from_slice(&len.to_be_bytes());
        write_crc(&mut batch);
        if let Ok(header) = validate_batch(&batch) {
            // One record of garbage is only accepted if it really is one record.
            if check_records(&batch, &header, &permissive()).is_ok() {
                let decoded = RecordBatch::parse(Bytes::from(batch)).expect("batch").records();
                prop_assert_eq!(decoded.map(|r| r.len()), Ok(1));
            }
        }
    }
}

#[test]
fn decompression_past_the_limit_is_refused() {
    let big = vec![b'x'; 100_000];
    let mut b = RecordBatchBuilder::new(Compression::Zstd);
    b.append(NOW, Some(b"k"), Some(&big), &[]);
    let batch = b.build().expect("batch");
    let header = validate_batch(&batch).expect("valid");
    let rules = RecordRules {
        max_decompressed: 50_000,
        ..permissive()
    };
    assert!(check_records(&batch, &header, &rules).is_err());
    assert_eq!(check_records(&batch, &header, &permissive()), Ok(vec![]));
}
