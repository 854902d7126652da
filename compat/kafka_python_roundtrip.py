"""kafka-python 3.0: create a topic, produce (idempotent by default, so InitProducerId), consume
from the beginning, and a new consumer with auto_offset_reset='latest' starts at the end.

Usage: python3 kafka_python_roundtrip.py HOST:PORT
"""

import sys
import uuid

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import KafkaAdminClient, NewTopic
from kafka.errors import TopicAlreadyExistsError

from common import check, deadline, fail

bootstrap = sys.argv[1]
topic = f"kp-{uuid.uuid4().hex[:8]}"
N = 300

admin = KafkaAdminClient(bootstrap_servers=bootstrap)
admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
try:
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    fail("second create_topics succeeded")
except TopicAlreadyExistsError:
    pass
check(topic in admin.list_topics(), "topic is listed")

producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type="gzip")
futures = [
    producer.send(topic, key=f"k{i % 7}".encode(), value=f"v{i}".encode(), headers=[("i", str(i).encode())])
    for i in range(N)
]
producer.flush(30)
meta = [f.get(timeout=30) for f in futures]
# Same key, same partition.
by_key = {}
for i, m in enumerate(meta):
    check(by_key.setdefault(i % 7, m.partition) == m.partition, f"key k{i % 7} changed partition")

consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, consumer_timeout_ms=1000)
tps = [TopicPartition(topic, p) for p in range(3)]
consumer.assign(tps)
consumer.seek_to_beginning(*tps)
seen = {}
alive = deadline(30)
while len(seen) < N and alive():
    for m in consumer:
        i = int(dict(m.headers)["i"])
        check(m.value == f"v{i}".encode(), f"value of record {i}")
        check((m.partition, m.offset) == (meta[i].partition, meta[i].offset), f"position of record {i}")
        seen[i] = m.offset
check(len(seen) == N, f"read back {len(seen)} of {N}")
consumer.close()

latest = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="latest")
latest.assign(tps)
ends = {tp: latest.position(tp) for tp in tps}
check(sum(ends.values()) == N, f"latest consumer starts at the end: {ends}")
producer.send(topic, key=b"k0", value=b"after-start").get(timeout=10)
got = []
alive = deadline(20)
while not got and alive():
    for recs in latest.poll(timeout_ms=500).values():
        got.extend(recs)
check([r.value for r in got] == [b"after-start"], f"latest consumer got {[r.value for r in got]}")
latest.close()
producer.close()
admin.delete_topics([topic])
check(topic not in admin.list_topics(), "topic deleted")
print(f"ok: kafka-python round trip of {N} records on {topic}")
