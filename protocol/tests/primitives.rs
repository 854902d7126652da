//! Property tests for the wire primitives.

use bytes::{Bytes, BytesMut};
use kalfka_protocol::primitives::*;
use proptest::prelude::*;

type StrParser = fn(&[u8]) -> PResult<'_, &str>;
type NullableStrParser = fn(&[u8]) -> PResult<'_, Option<&str>>;

fn roundtrip<T: PartialEq + std::fmt::Debug>(
    v: T,
    put: impl Fn(&mut BytesMut, &T),
    parse: impl Fn(&[u8]) -> PResult<'_, T>,
) {
    let mut b = BytesMut::new();
    put(&mut b, &v);
    let (rest, got) = parse(&b).expect("parse");
    assert!(rest.is_empty());
    assert_eq!(got, v);
    // Every strict prefix is incomplete.
    for n in 0..b.len() {
        assert_eq!(
            parse(&b[..n]).err(),
            Some(nom::Err::Error(DecodeError::Incomplete))
        );
    }
}

proptest! {
    #[test]
    fn fixed_ints(a: i8, b: i16, c: i32, d: i64, e: u16, f: u32, g in proptest::num::f64::NORMAL, h: bool) {
        roundtrip(a, |o, v| put_int8(o, *v), int8);
        roundtrip(b, |o, v| put_int16(o, *v), int16);
        roundtrip(c, |o, v| put_int32(o, *v), int32);
        roundtrip(d, |o, v| put_int64(o, *v), int64);
        roundtrip(e, |o, v| put_uint16(o, *v), uint16);
        roundtrip(f, |o, v| put_uint32(o, *v), uint32);
        roundtrip(g, |o, v| put_float64(o, *v), float64);
        roundtrip(h, |o, v| put_bool(o, *v), boolean);
    }

    #[test]
    fn varints(a: u32, b: i32, c: i64, d: u64, u: [u8; 16]) {
        roundtrip(a, |o, v| put_unsigned_varint(o, *v), unsigned_varint);
        let mut buf = BytesMut::new();
        put_unsigned_varint(&mut buf, a);
        prop_assert_eq!(buf.len(), unsigned_varint_len(a));
        roundtrip(b, |o, v| put_varint(o, *v), varint);
        roundtrip(c, |o, v| put_varlong(o, *v), varlong);
        roundtrip(d, |o, v| put_unsigned_varlong(o, *v), unsigned_varlong);
        roundtrip(Uuid(u), put_uuid, uuid);
    }

    #[test]
    fn strings(s in ".{0,40}", n in proptest::option::of(".{0,40}")) {
        for compact in [false, true] {
            let (p, np): (StrParser, NullableStrParser) =
                if compact { (compact_string, compact_nullable_string) } else { (string, nullable_string) };
            let mut b = BytesMut::new();
            put_string(&mut b, &s, compact).unwrap();
            let (rest, got) = p(&b).unwrap();
            prop_assert!(rest.is_empty());
            prop_assert_eq!(got, s.as_str());
            let mut b = BytesMut::new();
            put_nullable_string(&mut b, n.as_deref(), compact).unwrap();
            let (rest, got) = np(&b).unwrap();
            prop_assert!(rest.is_empty());
            prop_assert_eq!(got, n.as_deref());
            if n.is_none() {
                prop_assert!(p(&b).is_err(), "null accepted as non-nullable");
            }
        }
    }

    #[test]
    fn byte_arrays(s in proptest::collection::vec(any::<u8>(), 0..100), null: bool) {
        for compact in [false, true] {
            let v = (!null).then_some(s.as_slice());
            let mut b = BytesMut::new();
            put_nullable_bytes(&mut b, v, compact).unwrap();
            let parsed = if compact { compact_nullable_bytes(&b) } else { nullable_bytes(&b) };
            let (rest, got) = parsed.unwrap();
            prop_assert!(rest.is_empty());
            prop_assert_eq!(got, v);
            // Zero-copy through the Decoder.
            let frozen: Bytes = b.freeze();
            let mut d = Decoder::new(&frozen);
            let got = d.nullable_bytes(compact).unwrap();
            if let Some(g) = got {
                let range = frozen.as_ptr() as usize..frozen.as_ptr() as usize + frozen.len() + 1;
                prop_assert!(g.is_empty() || range.contains(&(g.as_ptr() as usize)));
            }
        }
    }

    #[test]
    fn arrays(n in 0usize..50, compact: bool) {
        let mut b = BytesMut::new();
        put_array_len(&mut b, n, compact).unwrap();
        b.extend_from_slice(&vec![7u8; n]);
        let frozen = b.freeze();
        let mut d = Decoder::new(&frozen);
        let v = d.array(compact, |d| d.int8()).unwrap();
        prop_assert_eq!(v, vec![7i8; n]);
        let mut b = BytesMut::new();
        put_null_array(&mut b, compact);
        let mut d = Decoder::from_slice(&b);
        prop_assert_eq!(d.nullable_array(compact, |d| d.int8()).unwrap(), None);
    }

    /// Random input never panics any parser, and what a length-prefixed parser accepts
    /// consumes exactly its prefix and the length it declares.
    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..64)) {
        let i = data.as_slice();
        if let Ok((rest, s)) = string(i) {
            prop_assert_eq!(i.len() - rest.len(), 2 + s.len());
            prop_assert_eq!(i16::from_be_bytes([i[0], i[1]]) as usize, s.len());
        }
        if let Ok((rest, b)) = bytes(i) {
            prop_assert_eq!(i.len() - rest.len(), 4 + b.len());
        }
        if let Ok((rest, _)) = uuid(i) {
            prop_assert_eq!(i.len() - rest.len(), 16);
        }
        if let Ok((rest, s)) = compact_string(i) {
            let (after_len, n) = unsigned_varint(i).expect("the length parsed");
            prop_assert_eq!(n as usize, s.len() + 1);
            prop_assert_eq!(after_len.len() - rest.len(), s.len());
        }
        let _ = unsigned_varint(i);
        let _ = unsigned_varlong(i);
        let _ = varint(i);
        let _ = varlong(i);
        let _ = string(i);
        let _ = nullable_string(i);
        let _ = compact_string(i);
        let _ = compact_nullable_string(i);
        let _ = bytes(i);
        let _ = nullable_bytes(i);
        let _ = compact_bytes(i);
        let _ = compact_nullable_bytes(i);
        let _ = array_count(i);
        let _ = compact_array_count(i);
        let _ = tagged_fields(i);
        let _ = skip_tagged_fields(i);
        let _ = uuid(i);
        let mut d = Decoder::from_slice(i);
        let _ = d.array(true, |d| d.string(true));
    }

    /// Huge declared lengths fail without allocating.
    #[test]
    fn huge_lengths_rejected(n in 1_000_000i32..i32::MAX) {
        let mut b = BytesMut::new();
        put_int32(&mut b, n);
        b.extend_from_slice(&[0; 8]);
        prop_assert!(array_count(&b).is_err());
        prop_assert!(bytes(&b).is_err());
        let mut d = Decoder::from_slice(&b);
        prop_assert!(d.array(false, |d| d.int8()).is_err());
        let mut c = BytesMut::new();
        put_unsigned_varint(&mut c, n as u32);
        c.extend_from_slice(&[0; 8]);
        prop_assert!(compact_array_count(&c).is_err());
        prop_assert!(tagged_fields(&c).is_err());
    }

    /// Negative lengths other than -1 are malformed, not null or incomplete.
    #[test]
    fn negative_lengths_malformed(n in i16::MIN..-1) {
        let mut b = BytesMut::new();
        put_int16(&mut b, n);
        prop_assert!(matches!(nullable_string(&b), Err(nom::Err::Error(DecodeError::Malformed(_)))));
        let mut b = BytesMut::new();
        put_int32(&mut b, i32::from(n));
        prop_assert!(matches!(nullable_bytes(&b), Err(nom::Err::Error(DecodeError::Malformed(_)))));
        prop_assert!(matches!(array_count(&b), Err(nom::Err::Error(DecodeError::Malformed(_)))));
    }
}

#[test]
fn overlong_varints_rejected() {
    // Six bytes: too long for a 32-bit unsigned varint.
    let six = [0x80, 0x80, 0x80, 0x80, 0x80, 0x00];
    assert!(matches!(
        unsigned_varint(&six),
        Err(nom::Err::Error(DecodeError::Malformed(_)))
    ));
    // Five bytes whose last byte overflows 32 bits.
    let overflow = [0xff, 0xff, 0xff, 0xff, 0x1f];
    assert!(matches!(
        unsigned_varint(&overflow),
        Err(nom::Err::Error(DecodeError::Malformed(_)))
    ));
    assert_eq!(
        unsigned_varint(&[0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap().1,
        u32::MAX
    );
    let eleven = [0x80; 11];
    assert!(matches!(
        unsigned_varlong(&eleven),
        Err(nom::Err::Error(DecodeError::Malformed(_)))
    ));
    assert_eq!(
        unsigned_varint(&[0x80]).err(),
        Some(nom::Err::Error(DecodeError::Incomplete))
    );
}

#[test]
fn known_encodings() {
    let mut b = BytesMut::new();
    put_varint(&mut b, -1);
    put_varint(&mut b, 1);
    put_varint(&mut b, -64);
    put_unsigned_varint(&mut b, 300);
    assert_eq!(&b[..], &[0x01, 0x02, 0x7f, 0xac, 0x02]);
    let mut b = BytesMut::new();
    put_nullable_string(&mut b, None, true).unwrap();
    put_nullable_string(&mut b, None, false).unwrap();
    put_string(&mut b, "ab", true).unwrap();
    assert_eq!(&b[..], &[0x00, 0xff, 0xff, 0x03, b'a', b'b']);
    assert_eq!(Uuid::ZERO.to_base64(), "AAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(
        format!("{:?}", Uuid([0xff; 16])),
        "Uuid(_____________________w)"
    );
    let long = "x".repeat(40_000);
    assert_eq!(
        put_string(&mut BytesMut::new(), &long, false),
        Err(EncodeError::TooLong(40_000))
    );
}

#[test]
fn tagged_fields_parse_and_order() {
    let buf = [2, 0, 1, 0xaa, 5, 0, 9];
    let (rest, f) = tagged_fields(&buf).unwrap();
    assert_eq!(rest, &[9]);
    assert_eq!(f.len(), 2);
    assert_eq!((f[0].tag, f[0].data), (0, &[0xaa][..]));
    assert_eq!((f[1].tag, f[1].data), (5, &[][..]));
    assert!(
        tagged_fields(&[2, 5, 0, 1, 0]).is_err(),
        "descending tags accepted"
    );
    assert_eq!(skip_tagged_fields(&buf).unwrap().0, &[9]);
}
