//! Zigzag varints as used inside records (private: the record codec needs only these).

use super::RecordsError;

/// Reads an unsigned LEB128 value of at most `max_bytes` bytes from `buf[*pos..]`.
fn read_unsigned(buf: &[u8], pos: &mut usize, max_bytes: usize) -> Result<u64, RecordsError> {
    let mut value: u64 = 0;
    for i in 0..max_bytes {
        let byte = *buf.get(*pos).ok_or(RecordsError::Truncated)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(RecordsError::InvalidRecord("varint too long".into()))
}

/// Reads a zigzag varint (int32, at most 5 bytes). Like Kafka, bits beyond 32 are dropped.
pub(crate) fn read_varint(buf: &[u8], pos: &mut usize) -> Result<i32, RecordsError> {
    let raw = read_unsigned(buf, pos, 5)? as u32;
    Ok(((raw >> 1) as i32) ^ -((raw & 1) as i32))
}

/// Reads a zigzag varlong (int64, at most 10 bytes).
pub(crate) fn read_varlong(buf: &[u8], pos: &mut usize) -> Result<i64, RecordsError> {
    let raw = read_unsigned(buf, pos, 10)?;
    Ok(((raw >> 1) as i64) ^ -((raw & 1) as i64))
}

/// Appends a zigzag varint.
pub(crate) fn write_varint(out: &mut Vec<u8>, v: i32) {
    write_unsigned(out, u64::from(((v << 1) ^ (v >> 31)) as u32));
}

/// Appends a zigzag varlong.
pub(crate) fn write_varlong(out: &mut Vec<u8>, v: i64) {
    write_unsigned(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn write_unsigned(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_edges() {
        for v in [0, 1, -1, 63, -64, 64, i32::MAX, i32::MIN] {
            let mut out = Vec::new();
            write_varint(&mut out, v);
            let mut pos = 0;
            assert_eq!(read_varint(&out, &mut pos), Ok(v));
            assert_eq!(pos, out.len());
        }
        for v in [0, 1, -1, i64::MAX, i64::MIN, 1 << 40] {
            let mut out = Vec::new();
            write_varlong(&mut out, v);
            let mut pos = 0;
            assert_eq!(read_varlong(&out, &mut pos), Ok(v));
            assert_eq!(pos, out.len());
        }
    }

    #[test]
    fn known_encodings() {
        let mut out = Vec::new();
        write_varint(&mut out, -1);
        write_varint(&mut out, 1);
        write_varint(&mut out, 300);
        assert_eq!(out, [0x01, 0x02, 0xd8, 0x04]);
    }

    #[test]
    fn malformed() {
        let mut pos = 0;
        assert_eq!(
            read_varint(&[0x80, 0x80], &mut pos),
            Err(RecordsError::Truncated)
        );
        let mut pos = 0;
        assert!(matches!(
            read_varint(&[0xff; 6], &mut pos),
            Err(RecordsError::InvalidRecord(_))
        ));
        let mut pos = 0;
        assert!(matches!(
            read_varlong(&[0xff; 11], &mut pos),
            Err(RecordsError::InvalidRecord(_))
        ));
    }
}
