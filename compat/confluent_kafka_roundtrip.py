"""confluent-kafka (librdkafka 2.16): create a topic, produce, consume from the beginning, and a
new consumer with auto.offset.reset=latest starts at the end.

Usage: python3 confluent_kafka_roundtrip.py HOST:PORT
"""

import sys
import uuid

from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic

from common import check, deadline, fail

bootstrap = sys.argv[1]
topic = f"ck-{uuid.uuid4().hex[:8]}"
N = 500

admin = AdminClient({"bootstrap.servers": bootstrap})
futures = admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
futures[topic].result(timeout=15)
md = admin.list_topics(topic=topic, timeout=10)
check(len(md.topics[topic].partitions) == 2, f"topic has 2 partitions: {md.topics[topic].partitions}")

# Creating it again is refused with TOPIC_ALREADY_EXISTS.
again = admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])
try:
    again[topic].result(timeout=15)
    fail("second create_topics succeeded")
except Exception as e:  # KafkaException wrapping TOPIC_ALREADY_EXISTS
    check("TOPIC_ALREADY_EXISTS" in str(e) or "already exists" in str(e), f"unexpected error {e}")

delivered = []
producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "compression.type": "snappy"})
for i in range(N):
    producer.produce(
        topic,
        key=f"k{i % 10}".encode(),
        value=f"value-{i}".encode(),
        headers=[("i", str(i).encode())],
        on_delivery=lambda err, msg: delivered.append((err, msg.partition(), msg.offset())),
    )
check(producer.flush(30) == 0, "all records flushed")
check(len(delivered) == N and all(err is None for err, _, _ in delivered), "all delivered")


def consume_from_beginning(expect):
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": "unused", "enable.auto.commit": False})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(2)])
    seen = {}
    alive = deadline(30)
    while len(seen) < expect and alive():
        m = c.poll(0.5)
        if m is None:
            continue
        check(m.error() is None, f"consume error {m.error()}")
        i = int(dict(m.headers())["i"])
        check(m.value() == f"value-{i}".encode(), f"value of record {i}")
        check(m.key() == f"k{i % 10}".encode(), f"key of record {i}")
        seen[i] = (m.partition(), m.offset())
    c.close()
    return seen


seen = consume_from_beginning(N)
check(len(seen) == N, f"read back {len(seen)} of {N}")
by_report = {}
for _, p, o in delivered:
    by_report[(p, o)] = True
check(all((p, o) in by_report for p, o in seen.values()), "offsets match delivery reports")

# A consumer whose position is out of range falls back to auto.offset.reset=latest: the broker
# answers OFFSET_OUT_OF_RANGE, the client asks ListOffsets for the end, and only records produced
# after that are read. (Committed-offset lookup needs consumer groups, a later issue.)
FAR = 10**9
latest = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": "unused",
    "enable.auto.commit": False,
    "auto.offset.reset": "latest",
    "enable.partition.eof": True,
})
latest.assign([TopicPartition(topic, p, FAR) for p in range(2)])
# Reaching the end after the reset shows up as a partition-EOF event per partition.
ends = {p: sum(1 for _, pp, _ in delivered if pp == p) for p in range(2)}
at_end = {}
alive = deadline(20)
while alive() and len(at_end) < 2:
    m = latest.poll(0.2)
    if m is None:
        continue
    check(m.error() is not None, f"latest consumer read an old record at offset {m.offset()}")
    if m.error().code() == KafkaError._PARTITION_EOF:
        at_end[m.partition()] = m.offset()
check(at_end == ends, f"positions reset to the end offsets {ends}, got {at_end}")
producer.produce(topic, key=b"k0", value=b"after-start")
producer.flush(10)
got = None
alive = deadline(20)
while got is None and alive():
    m = latest.poll(0.5)
    if m is not None and m.error() is None:
        got = m
check(got is not None and got.value() == b"after-start", f"latest consumer got {got and got.value()}")
latest.close()
print(f"ok: confluent-kafka round trip of {N} records on {topic}")
