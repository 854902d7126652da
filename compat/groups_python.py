"""Consumer groups with real Python clients: a confluent-kafka group and a kafka-python group
each consume every record of a 3-partition topic, commit, and new members of each group resume
exactly after the commit.

Usage: python3 groups_python.py HOST:PORT
"""

import sys
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer

from common import check, deadline, fail

bootstrap = sys.argv[1]
topic = f"groups-{uuid.uuid4().hex[:8]}"
suffix = uuid.uuid4().hex[:6]

admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result(timeout=15)


def produce(start, end):
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(start, end):
        p.produce(topic, value=str(i).encode(), partition=i % 3)
    check(p.flush(30) == 0, "records flushed")


def consume_confluent(group, want):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
        "session.timeout.ms": 6000,
        "heartbeat.interval.ms": 500,
    })
    c.subscribe([topic])
    got = []
    alive = deadline(60)
    while len(got) < want and alive():
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            fail(f"confluent consumer error: {m.error()}")
        got.append(int(m.value()))
    c.commit(asynchronous=False)
    c.close()
    return got


def consume_kafka_python(group, want):
    c = KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        session_timeout_ms=6000,
        heartbeat_interval_ms=500,
    )
    got = []
    alive = deadline(60)
    while len(got) < want and alive():
        for records in c.poll(timeout_ms=200).values():
            got.extend(int(r.value) for r in records)
    c.commit()
    c.close()
    return got


produce(0, 300)
ck = consume_confluent(f"ck-{suffix}", 300)
check(sorted(ck) == list(range(300)), f"confluent group got every record once ({len(ck)})")
kp = consume_kafka_python(f"kp-{suffix}", 300)
check(sorted(kp) == list(range(300)), f"kafka-python group got every record once ({len(kp)})")

produce(300, 400)
ck2 = consume_confluent(f"ck-{suffix}", 100)
check(sorted(ck2) == list(range(300, 400)), f"confluent group resumed at its commit: {sorted(ck2)[:5]}")
kp2 = consume_kafka_python(f"kp-{suffix}", 100)
check(sorted(kp2) == list(range(300, 400)), f"kafka-python group resumed at its commit: {sorted(kp2)[:5]}")

print("ok: two groups each consumed every record, committed and resumed")
