//! Fuzz target: request header + body decoding of arbitrary bytes (must never panic).
#![no_main]

use bytes::Bytes;
use kalfka_protocol::header::RequestHeader;
use kalfka_protocol::messages::RequestBody;
use kalfka_protocol::Decoder;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let frame = Bytes::copy_from_slice(data);
    let Ok((header, len)) = RequestHeader::parse(&frame) else {
        return;
    };
    let body = frame.slice(len..);
    let mut d = Decoder::new(&body);
    if let Ok(req) = RequestBody::decode(header.api_key, header.api_version, &mut d) {
        // Whatever decodes must re-encode.
        let mut out = bytes::BytesMut::new();
        let _ = req.encode(&mut out, header.api_version);
    }
});
