"""Consumer-protocol groups (KIP-848, group.protocol=consumer) with confluent-kafka: two
members of one group share a 3-partition topic, one commits and leaves and the other takes
over with nothing lost or read twice; a second group (range assignor) reads every record.

Usage: python3 groups_kip848_python.py HOST:PORT
"""

import sys
import uuid

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from common import check, deadline, fail

bootstrap = sys.argv[1]
topic = f"kip848-{uuid.uuid4().hex[:8]}"
suffix = uuid.uuid4().hex[:6]

admin = AdminClient({"bootstrap.servers": bootstrap})
admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])[topic].result(timeout=15)


def produce(start, end):
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(start, end):
        p.produce(topic, value=str(i).encode(), partition=i % 3)
    check(p.flush(30) == 0, "records flushed")


def consumer(group, extra=None):
    conf = {
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "group.protocol": "consumer",
        "auto.offset.reset": "earliest",
        "enable.auto.commit": False,
    }
    conf.update(extra or {})
    c = Consumer(conf)
    c.subscribe([topic])
    return c


def poll_into(c, got):
    m = c.poll(0.05)
    if m is None:
        return
    if m.error():
        fail(f"consumer error: {m.error()}")
    got.append(int(m.value()))


def partitions(c):
    return {p.partition for p in c.assignment()}


group = f"kip848-a-{suffix}"
c1, c2 = consumer(group), consumer(group)
got1, got2 = [], []


def shared():
    a1, a2 = partitions(c1), partitions(c2)
    return a1 and a2 and not (a1 & a2) and len(a1 | a2) == 3


# Produce once the group is steady: before any commit, a partition that moved would be read
# again from the start by its new owner (as with Kafka).
alive = deadline(60)
while not shared() and alive():
    poll_into(c1, got1)
    poll_into(c2, got2)
check(shared(), f"members share the partitions: {partitions(c1)} {partitions(c2)}")
produce(0, 300)
alive = deadline(60)
while len(got1) + len(got2) < 300 and alive():
    poll_into(c1, got1)
    poll_into(c2, got2)
check(sorted(got1 + got2) == list(range(300)), f"group got every record once ({len(got1) + len(got2)})")
a1, a2 = partitions(c1), partitions(c2)
check(a1 and a2 and not (a1 & a2) and len(a1 | a2) == 3, f"members share the partitions: {a1} {a2}")
c1.commit(asynchronous=False)
c2.commit(asynchronous=False)
c2.close()

produce(300, 450)
alive = deadline(60)
while (len(partitions(c1)) < 3 or len(got1) + len(got2) < 450) and alive():
    poll_into(c1, got1)
check(partitions(c1) == {0, 1, 2}, f"remaining member owns every partition: {partitions(c1)}")
check(sorted(got1 + got2) == list(range(450)), f"nothing lost, nothing twice ({len(got1) + len(got2)})")
c1.close()

cb = consumer(f"kip848-b-{suffix}", {"group.remote.assignor": "range"})
gotb = []
alive = deadline(60)
while len(gotb) < 450 and alive():
    poll_into(cb, gotb)
check(sorted(gotb) == list(range(450)), f"second group got every record once ({len(gotb)})")
cb.close()
print("ok: confluent-kafka group.protocol=consumer groups share, hand over and resume")
