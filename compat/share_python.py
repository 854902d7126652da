"""Share groups (KIP-932) with confluent-kafka's ShareConsumer (librdkafka >= 2.15).

Five workers (more than partitions) on a 2-partition topic all receive work and process every
record exactly once (implicit acknowledgement); with explicit acknowledgement a released record
comes back with a higher delivery count and a rejected one never comes back. The seed story: a
stream group ("search", a classic consumer group) and a share group ("indexing", five workers)
read the same 2-partition topic; the stream group sees every record once, in partition order,
while the indexing workers together process every record exactly once, more than two of them
receiving work.

A share group starts delivering at the end of each partition (share.auto.offset.reset latest)
once its state is initialized, so "warm-up" records are sent until the workers have seen one
from every partition; they are otherwise ignored.

Usage: python3 share_python.py HOST:PORT
"""

import sys
import threading
import time
import uuid

from confluent_kafka import AcknowledgeType, Consumer, Producer, ShareConsumer
from confluent_kafka.admin import AdminClient, NewTopic

from common import check, deadline

bootstrap = sys.argv[1]
run = uuid.uuid4().hex[:8]
WARM = b"warm-"

admin = AdminClient({"bootstrap.servers": bootstrap})


def topic(name, partitions):
    t = f"share-py-{run}-{name}"
    admin.create_topics([NewTopic(t, num_partitions=partitions, replication_factor=1)])[t].result(timeout=15)
    return t


producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 0})


def send(t, partition, value):
    producer.produce(t, value=value, partition=partition)


def share_consumer(group, explicit=False):
    return ShareConsumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "share.acknowledgement.mode": "explicit" if explicit else "implicit",
    })


def warm_up(t, partitions, seen, poll_once):
    """Sends warm-up records to every partition until `seen` holds each partition."""
    more = deadline(60)
    n = 0
    while len(seen) < partitions:
        check(more(), f"warm-up records of {t} never arrived (seen partitions {sorted(seen)})")
        for p in range(partitions):
            send(t, p, WARM + str(n).encode())
        producer.flush(10)
        n += 1
        end = time.monotonic() + 0.3
        while time.monotonic() < end:
            poll_once()


def run_share_workers(t, group, workers, total):
    """Runs `workers` implicit-acknowledgement share consumers of `group` on topic `t` (2
    partitions) while `total` records r0.. are sent alternately to partitions 0 and 1 (after
    the warm-up). Returns what each worker processed."""
    got = [[] for _ in range(workers)]
    warm_seen = set()
    stop = threading.Event()
    errors = []

    def work(i):
        try:
            with share_consumer(group) as c:
                c.subscribe([t])
                while not stop.is_set():
                    for m in c.poll(0.1):
                        if m.error():
                            continue
                        if m.value().startswith(WARM):
                            warm_seen.add(m.partition())
                            continue
                        got[i].append(m.value())
                        time.sleep(0.01)  # the work; meanwhile other workers fetch
                c.commit_sync()
        except Exception as e:  # reported by the main thread
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(workers)]
    for th in threads:
        th.start()
    try:
        warm_up(t, 2, warm_seen, lambda: time.sleep(0.05))
        for i in range(total):
            send(t, i % 2, f"r{i}".encode())
            if i % 10 == 9:
                producer.flush(10)
                time.sleep(0.02)
        producer.flush(10)
        more = deadline(60)
        while sum(len(g) for g in got) < total and more():
            time.sleep(0.1)
        time.sleep(1)  # a duplicate, if any, would show now
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    check(not errors, f"a worker failed: {errors[:1]}")
    return got


def check_exactly_once(got, total):
    everything = [v for g in got for v in g]
    check(len(everything) == total, f"{len(everything)} records processed, {total} sent")
    check(len(set(everything)) == total, f"{len(set(everything))} distinct records processed of {total}")


def workers_exactly_once():
    t = topic("work", 2)
    total = 200
    got = run_share_workers(t, f"share-py-{run}-workers", 5, total)
    check_exactly_once(got, total)
    check(all(g for g in got), f"a worker got no work: {[len(g) for g in got]}")


def seed_story():
    """A stream group and a share group on one topic, each as its model says."""
    t = topic("posts", 2)
    total, workers = 200, 5
    search = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"share-py-{run}-search",
        "auto.offset.reset": "earliest",
    })
    search.subscribe([t])
    streamed = {0: [], 1: []}  # partition -> [(offset, value)], warm-up records left out

    def read_stream(until):
        while time.monotonic() < until:
            m = search.poll(0.1)
            if m is None or m.error():
                continue
            if not m.value().startswith(WARM):
                streamed[m.partition()].append((m.offset(), m.value()))

    # The indexing workers run in threads; the search consumer reads on this thread after.
    got = run_share_workers(t, f"share-py-{run}-indexing", workers, total)
    more = deadline(60)
    while sum(len(v) for v in streamed.values()) < total and more():
        read_stream(time.monotonic() + 0.5)
    read_stream(time.monotonic() + 1)  # a duplicate, if any, would show now
    search.close()
    for p in (0, 1):
        values = [v for _, v in streamed[p]]
        want = [f"r{i}".encode() for i in range(p, total, 2)]
        check(values == want, f"search group, partition {p}: {len(values)} records, not r{p}, r{p + 2}, ... in order: {values[:6]}")
        offsets = [o for o, _ in streamed[p]]
        check(offsets == sorted(offsets), f"search group, partition {p}: offsets out of order")
    check_exactly_once(got, total)
    busy = sum(1 for g in got if g)
    check(busy > 2, f"only {busy} indexing workers of {workers} received work: {[len(g) for g in got]}")


def release_and_reject():
    """Explicit acknowledgement (every record of a poll is acknowledged before the next poll,
    as librdkafka requires): "again" is released on its first delivery, "poison" rejected,
    the rest accepted."""
    t = topic("acks", 1)
    c = share_consumer(f"share-py-{run}-acks", explicit=True)
    c.subscribe([t])
    deliveries = {}  # value -> [(offset, delivery count)]
    warm_seen = set()

    def poll_and_ack():
        for m in c.poll(0.1):
            if m.error():
                continue
            v = m.value()
            deliveries.setdefault(v, []).append((m.offset(), m.delivery_count()))
            if v.startswith(WARM):
                warm_seen.add(m.partition())
                kind = AcknowledgeType.ACCEPT
            elif v == b"again" and len(deliveries[v]) == 1:
                kind = AcknowledgeType.RELEASE
            elif v == b"poison":
                kind = AcknowledgeType.REJECT
            else:
                kind = AcknowledgeType.ACCEPT
            c.acknowledge(m, kind)
        c.commit_sync()

    warm_up(t, 1, warm_seen, poll_and_ack)
    for v in (b"again", b"poison", b"done"):
        send(t, 0, v)
    producer.flush(10)
    more = deadline(30)
    while (len(deliveries.get(b"again", [])) < 2 or b"done" not in deliveries) and more():
        poll_and_ack()
    end = time.monotonic() + 1.5
    while time.monotonic() < end:
        poll_and_ack()
    again = deliveries.get(b"again", [])
    check(len(again) == 2, f"the released record was delivered {len(again)} times: {again}")
    check(again[0][1] == 1 and again[1][1] == 2, f"delivery counts of the released record: {again}")
    check(again[0][0] == again[1][0], f"offsets of the released record: {again}")
    check(len(deliveries.get(b"poison", [])) == 1, f"rejected record deliveries: {deliveries.get(b'poison')}")
    check(len(deliveries.get(b"done", [])) == 1, f"accepted record deliveries: {deliveries.get(b'done')}")
    c.close()


workers_exactly_once()
release_and_reject()
seed_story()
print("ok: confluent-kafka ShareConsumer: 5 workers on 2 partitions exactly once; release redelivers with a higher count; reject is final; "
      "seed story: search stream group in partition order and 5 indexing share workers exactly once on one topic")
