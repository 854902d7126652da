//! Golden tests for request/response headers and framing, plus error codes.

use bytes::{Bytes, BytesMut};
use kalfka_protocol::error_code::ErrorCode;
use kalfka_protocol::frame::{begin_frame, check_frame, encode_frame, finish_frame, FrameError};
use kalfka_protocol::header::*;
use kalfka_protocol::messages::{ApiVersionsRequest, MetadataRequest, RequestBody};
use kalfka_protocol::{Decoder, Message};

#[test]
fn request_header_v0_golden() {
    let b = [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0xaa];
    let mut d = Decoder::from_slice(&b);
    let h = RequestHeader::decode(&mut d, 0).unwrap();
    assert_eq!(
        h,
        RequestHeader {
            api_key: 3,
            api_version: 0,
            correlation_id: 7,
            client_id: None
        }
    );
    assert_eq!(d.remaining(), &[0xaa]);
    let mut out = BytesMut::new();
    h.encode(&mut out, 0).unwrap();
    assert_eq!(&out[..], &b[..8]);
}

#[test]
fn request_header_v1_golden() {
    // Metadata v1, correlation 0x01020304, client id "ab"; then a null client id.
    let b = [0, 3, 0, 1, 1, 2, 3, 4, 0, 2, b'a', b'b'];
    let (h, len) = RequestHeader::parse(&b).unwrap();
    assert_eq!(len, 12);
    assert_eq!(h.client_id.as_deref(), Some("ab"));
    assert_eq!(h.correlation_id, 0x0102_0304);
    let null = [0, 3, 0, 1, 0, 0, 0, 1, 0xff, 0xff];
    assert_eq!(RequestHeader::parse(&null).unwrap().0.client_id, None);
}

#[test]
fn request_header_v2_golden() {
    // ApiVersions v3: header v2 with int16-length client id "c" and an unknown tagged field.
    let b = [
        0, 18, 0, 3, 0, 0, 0, 9, 0, 1, b'c', 1, 5, 1, 0xee, /* body */ 2, b'x', 2, b'1', 0,
    ];
    let (h, len) = RequestHeader::parse(&b).unwrap();
    assert_eq!(len, 15);
    assert_eq!(
        h,
        RequestHeader {
            api_key: 18,
            api_version: 3,
            correlation_id: 9,
            client_id: Some("c".into())
        }
    );
    let body = Bytes::copy_from_slice(&b[len..]);
    let req = ApiVersionsRequest::decode_from(&body, 3).unwrap();
    assert_eq!(req.client_software_name, "x");
    assert_eq!(req.client_software_version, "1");
    let mut out = BytesMut::new();
    h.encode(&mut out, 2).unwrap();
    assert_eq!(&out[..], &[0, 18, 0, 3, 0, 0, 0, 9, 0, 1, b'c', 0]);
}

#[test]
fn response_headers_golden() {
    let mut out = BytesMut::new();
    ResponseHeader { correlation_id: 5 }.encode(&mut out, 0);
    assert_eq!(&out[..], &[0, 0, 0, 5]);
    let mut out = BytesMut::new();
    ResponseHeader { correlation_id: 5 }.encode(&mut out, 1);
    assert_eq!(&out[..], &[0, 0, 0, 5, 0]);
    let mut d = Decoder::from_slice(&out);
    assert_eq!(ResponseHeader::decode(&mut d, 1).unwrap().correlation_id, 5);
}

#[test]
fn header_versions() {
    assert_eq!(request_header_version(0, 8), 1);
    assert_eq!(request_header_version(0, 9), 2);
    assert_eq!(response_header_version(0, 9), 1);
    assert_eq!(response_header_version(0, 8), 0);
    assert_eq!(request_header_version(18, 2), 1);
    assert_eq!(request_header_version(18, 3), 2);
    assert_eq!(request_header_version(18, 99), 2);
    for v in 0..10 {
        assert_eq!(response_header_version(18, v), 0);
    }
    assert_eq!(request_header_version(17, 1), 1); // SaslHandshake is never flexible
    assert_eq!(request_header_version(3, 9), 2);
    assert_eq!(request_header_version(1000, 0), 1);
}

#[test]
fn peek() {
    assert_eq!(
        peek_api_key_version(&[0, 18, 0, 9, 0, 0, 1, 0]),
        Some((18, 9, 256))
    );
    assert_eq!(peek_api_key_version(&[0, 18, 0, 9, 0, 0, 1]), None);
}

#[test]
fn frames() {
    assert_eq!(
        check_frame(&[0, 0], 100),
        Err(FrameError::Incomplete { needed: None })
    );
    assert_eq!(
        check_frame(&[0, 0, 0, 3, 1], 100),
        Err(FrameError::Incomplete { needed: Some(7) })
    );
    assert_eq!(check_frame(&[0, 0, 0, 3, 1, 2, 3, 4], 100), Ok(7));
    assert_eq!(check_frame(&[0, 0, 0, 0], 100), Ok(4));
    assert_eq!(
        check_frame(&[0, 0, 1, 0], 100),
        Err(FrameError::TooLarge(256))
    );
    assert_eq!(
        check_frame(&[0xff, 0, 0, 0], 100),
        Err(FrameError::NegativeLength)
    );
    let mut out = BytesMut::new();
    assert!(encode_frame(&mut out, b"abc"));
    assert_eq!(&out[..], &[0, 0, 0, 3, b'a', b'b', b'c']);
    let mut out = BytesMut::from(&b"xx"[..]);
    let at = begin_frame(&mut out);
    out.extend_from_slice(b"hello");
    assert!(finish_frame(&mut out, at));
    assert_eq!(&out[..], b"xx\0\0\0\x05hello");
}

#[test]
fn full_request_dispatch() {
    // Frame → header → body through RequestBody.
    let req = MetadataRequest {
        topics: None,
        ..Default::default()
    };
    let mut frame = BytesMut::new();
    let at = begin_frame(&mut frame);
    let h = RequestHeader {
        api_key: 3,
        api_version: 12,
        correlation_id: 1,
        client_id: Some("k".into()),
    };
    h.encode(&mut frame, request_header_version(3, 12)).unwrap();
    req.encode(&mut frame, 12).unwrap();
    assert!(finish_frame(&mut frame, at));
    let frame = frame.freeze();
    let len = check_frame(&frame, 1 << 20).unwrap();
    let body = frame.slice(4..len);
    let (hdr, hlen) = RequestHeader::parse(&body).unwrap();
    assert_eq!(hdr, h);
    let body = body.slice(hlen..);
    let mut d = Decoder::new(&body);
    let got = RequestBody::decode(hdr.api_key, hdr.api_version, &mut d).unwrap();
    assert_eq!(got, RequestBody::MetadataRequest(req));
    assert_eq!(got.api_key(), 3);
}

#[test]
fn error_codes() {
    assert_eq!(ErrorCode::ALL.len(), 130);
    for &e in ErrorCode::ALL {
        assert_eq!(ErrorCode::from_code(e.code()), Some(e));
    }
    assert_eq!(ErrorCode::from_code(99), None);
    assert_eq!(ErrorCode::from_code(129), None);
    assert_eq!(ErrorCode::UnknownServerError.code(), -1);
    assert_eq!(ErrorCode::None.code(), 0);
    assert_eq!(ErrorCode::InvalidRegularExpression.code(), 128);
    assert_eq!(ErrorCode::ShareSessionLimitReached.code(), 133);
    assert!(ErrorCode::ShareSessionLimitReached.is_retriable());
    assert!(ErrorCode::NotLeaderOrFollower.is_retriable());
    assert!(ErrorCode::UnknownTopicOrPartition.is_retriable());
    assert!(!ErrorCode::UnsupportedVersion.is_retriable());
    assert_eq!(
        ErrorCode::ALL.iter().filter(|e| e.is_retriable()).count(),
        32
    );
    assert_eq!(ErrorCode::UnsupportedVersion.name(), "UNSUPPORTED_VERSION");
}
