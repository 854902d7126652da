#!/usr/bin/env python3
"""Regenerates the golden record batches in this directory with an independent producer:
kafka-python's DefaultRecordBatchBuilder (pure Python record encoding, CRC-32C from the
`crc32c` package) and the C-backed codecs python-snappy, lz4 (lz4.frame) and zstandard.

    python3 -m venv /tmp/kpy && /tmp/kpy/bin/pip install \
        kafka-python==3.0.12 python-snappy==0.7.3 lz4==4.4.5 zstandard==0.25.0 crc32c==2.9.post0
    /tmp/kpy/bin/python gen_fixtures.py

The expected content is asserted in protocol/tests/records_golden.rs; keep both in sync.
"""
import os
import struct

import kafka.codec as codec
import kafka.record.default_records as dr
from kafka.record.default_records import DefaultRecordBatchBuilder

HERE = os.path.dirname(os.path.abspath(__file__))
T = 1700000000000
FILLER = b" lorem ipsum dolor sit amet" * 8  # makes every codec worth it (kafka-python
                                             # silently falls back to uncompressed otherwise)
RECORDS = [
    (T, b"key-0", b"value-0" + FILLER, [("trace-id", b"abc123"), ("empty", None)]),
    (T + 5, None, b"value-1" + FILLER, []),
    (T - 3, b"key-2", None, [("h", b"")]),
    (T + 1000, b"", b"value-3" + FILLER, [("\u00fc-utf8", b"\x00\xff")]),
]
CODECS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def build(codec_id, producer=(-1, -1, -1), transactional=False, records=RECORDS):
    b = DefaultRecordBatchBuilder(
        magic=2, compression_type=codec_id, is_transactional=transactional,
        producer_id=producer[0], producer_epoch=producer[1], base_sequence=producer[2],
        batch_size=1 << 20)
    for i, (ts, k, v, h) in enumerate(records):
        assert b.append(i, timestamp=ts, key=k, value=v, headers=h) is not None
    out = bytes(b.build())
    attrs = struct.unpack_from(">h", out, 21)[0]
    assert attrs & 7 == codec_id, ("codec fell back", codec_id, attrs)
    return out


def write(name, data):
    with open(os.path.join(HERE, name), "wb") as f:
        f.write(data)
    print(name, len(data))


for name, cid in CODECS.items():
    data = build(cid)
    if name == "gzip":
        # Broker-side patches, outside the CRC: base offset 1000, leader epoch 5.
        data = data[:0] + struct.pack(">q", 1000) + data[8:12] + struct.pack(">i", 5) + data[16:]
    write(name + ".bin" if name != "snappy" else "snappy_xerial.bin", data)

# librdkafka-style raw snappy block.
orig = dr.snappy_encode
dr.snappy_encode = lambda payload: codec.snappy_encode(payload, xerial_compatible=False)
write("snappy_raw.bin", build(2))
dr.snappy_encode = orig

# Idempotent, transactional, uncompressed.
write("idempotent_txn.bin", build(0, producer=(4242, 7, 100), transactional=True,
                                  records=RECORDS[:2]))
