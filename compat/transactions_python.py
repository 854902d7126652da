"""Kafka transactions with real Python clients.

confluent-kafka (librdkafka): a transactional producer commits one transaction and aborts
another across 3 partitions; read_committed consumers see exactly the committed records (also
while the aborted one is still open), read_uncommitted ones see everything, nobody sees
control records; consume-transform-produce with send_offsets_to_transaction (offsets of an
aborted transaction are not committed, those of a committed one are); a second producer with
the same transactional.id fences the first.

kafka-python: the same commit/abort check, send_offsets_to_transaction abort then commit, and
fencing, with its own producer and consumers.

Usage: python3 transactions_python.py HOST:PORT
"""

import sys
import threading
import time
import uuid

from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from confluent_kafka.admin import AdminClient, NewTopic

from common import check, deadline, fail

bootstrap = sys.argv[1]
suffix = uuid.uuid4().hex[:8]
PARTITIONS = 3
WAIT = 30  # seconds, bound on every wait

admin = AdminClient({"bootstrap.servers": bootstrap})


def create_topic(name):
    admin.create_topics([NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)])[name].result(timeout=15)


def values(prefix, n):
    return [f"{prefix}-{i:03d}" for i in range(n)]


def by_partition(vals):
    """Values as a consumer must see them when value i went to partition i % 3."""
    out = {p: [] for p in range(PARTITIONS)}
    for i, v in enumerate(vals):
        out[i % PARTITIONS].append(v)
    return out


def concat(*parts):
    out = {p: [] for p in range(PARTITIONS)}
    for part in parts:
        for p, vs in part.items():
            out[p].extend(vs)
    return out


def count(seen):
    return sum(len(v) for v in seen.values())


def bounded(what, fn, seconds=WAIT):
    """Runs fn() in a thread; fails if it does not finish within `seconds`. Returns its result
    or re-raises its exception."""
    box = {}

    def run():
        try:
            box["result"] = fn()
        except BaseException as e:  # noqa: BLE001 - handed back to the caller
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        fail(f"{what} did not finish within {seconds} s")
    if "error" in box:
        raise box["error"]
    return box.get("result")


# ---------------------------------------------------------------- confluent-kafka helpers

def ck_txn_producer(txn_id):
    p = Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": txn_id,
        "linger.ms": 5,
    })
    try:
        p.init_transactions(WAIT)
    except KafkaException as e:
        fail(f"confluent init_transactions({txn_id}): {e}")
    return p


def ck_send(p, topic, vals):
    for i, v in enumerate(vals):
        for _ in range(1000):
            try:
                p.produce(topic, key=v.encode(), value=v.encode(), partition=i % PARTITIONS)
                break
            except BufferError:
                p.poll(0.01)
        else:
            fail(f"could not queue {v}")
    p.poll(0)


def ck_step(what, fn):
    try:
        return fn()
    except KafkaException as e:
        fail(f"confluent {what}: {e}")


def ck_read(topic, isolation, expected):
    """Every partition from the beginning until each holds len(expected[p]) records (bounded),
    then one more second; values per partition in order, None shown as '<null>'."""
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": f"reader-{uuid.uuid4().hex[:8]}",
        "enable.auto.commit": False,
        "isolation.level": isolation,
        "fetch.wait.max.ms": 100,
    })
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(PARTITIONS)])
    seen = {p: [] for p in range(PARTITIONS)}
    alive = deadline(WAIT)
    drain_end = None
    while alive() and (drain_end is None or time.monotonic() < drain_end):
        if drain_end is None and all(len(seen[p]) >= len(vs) for p, vs in expected.items()):
            drain_end = time.monotonic() + 1.0
        m = c.poll(0.1)
        if m is None:
            continue
        if m.error():
            fail(f"confluent {isolation} consumer of {topic}: {m.error()}")
        v = m.value()
        seen[m.partition()].append("<null>" if v is None else v.decode(errors="replace"))
    c.close()
    return seen


def expect_read(reader, topic, isolation, expected, when):
    got = reader(topic, isolation, expected)
    check(
        got == expected,
        f"{reader.__name__} {isolation} of {topic} {when}: got {count(got)} records, "
        f"expected {count(expected)}\n got: {got}\nwant: {expected}",
    )


def ck_committed(group, topic):
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
    try:
        tps = c.committed([TopicPartition(topic, p) for p in range(PARTITIONS)], timeout=WAIT)
    except KafkaException as e:
        fail(f"committed offsets of {group}: {e}")
    c.close()
    for tp in tps:
        if tp.error:
            fail(f"committed offset of {group} {tp.topic}/{tp.partition}: {tp.error}")
    # Negative offsets (OFFSET_INVALID) mean nothing committed.
    return {tp.partition: (tp.offset if tp.offset >= 0 else None) for tp in tps}


def next_offsets(records):
    """{partition: last offset + 1} for (partition, offset, value) records."""
    out = {}
    for p, o, _ in records:
        out[p] = max(out.get(p, 0), o + 1)
    return out


def as_full(offsets):
    return {p: offsets.get(p) for p in range(PARTITIONS)}


def is_fencing(err):
    return err.code() in (KafkaError._FENCED, KafkaError.PRODUCER_FENCED, KafkaError.INVALID_PRODUCER_EPOCH)


# ---------------------------------------------------------------- confluent-kafka scenarios

def ck_commit_abort():
    topic = f"ck-txn-{suffix}"
    create_topic(topic)
    p = ck_txn_producer(f"ck-ca-{suffix}")

    committed = values("commit", 30)
    ck_step("begin 1", p.begin_transaction)
    ck_send(p, topic, committed)
    ck_step("commit 1", lambda: p.commit_transaction(WAIT))
    committed = by_partition(committed)

    aborted = values("abort", 30)
    ck_step("begin 2", p.begin_transaction)
    ck_send(p, topic, aborted)
    check(p.flush(WAIT) == 0, "open transaction's records delivered")
    aborted = by_partition(aborted)
    expect_read(ck_read, topic, "read_committed", committed, "while a transaction is open")
    expect_read(ck_read, topic, "read_uncommitted", concat(committed, aborted), "while a transaction is open")
    ck_step("abort 2", lambda: p.abort_transaction(WAIT))

    ends = [f"end-{i}" for i in range(PARTITIONS)]
    ck_step("begin 3", p.begin_transaction)
    ck_send(p, topic, ends)
    ck_step("commit 3", lambda: p.commit_transaction(WAIT))
    ends = by_partition(ends)

    expect_read(ck_read, topic, "read_committed", concat(committed, ends), "after commit, abort, commit")
    expect_read(ck_read, topic, "read_uncommitted", concat(committed, aborted, ends), "after commit, abort, commit")


def ck_plain_produce(topic, vals):
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    ck_send(p, topic, vals)
    check(p.flush(WAIT) == 0, "plain records flushed")


def ck_take(c, n):
    got = []
    alive = deadline(WAIT)
    while len(got) < n and alive():
        m = c.poll(0.1)
        if m is None:
            continue
        if m.error():
            fail(f"group consumer: {m.error()}")
        got.append((m.partition(), m.offset(), m.value().decode()))
    check(len(got) == n, f"group consumer got {len(got)} of {n} input records")
    return got


def ck_consume_transform_produce():
    inp, out, group = f"ck-in-{suffix}", f"ck-out-{suffix}", f"ck-ctp-{suffix}"
    create_topic(inp)
    create_topic(out)
    ck_plain_produce(inp, values("in", 15))
    c = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": group,
        "enable.auto.commit": False,
        "auto.offset.reset": "earliest",
        "isolation.level": "read_committed",
        "session.timeout.ms": 10000,
        "heartbeat.interval.ms": 500,
        "fetch.wait.max.ms": 100,
    })
    c.subscribe([inp])
    p = ck_txn_producer(f"ck-ctp-{suffix}")

    def round_trip(records, finish, what):
        ck_step(f"begin {what}", p.begin_transaction)
        for part, _, v in records:
            p.produce(out, value=f"out-{v}".encode(), partition=part)
        offs = next_offsets(records)
        ck_step(
            f"send_offsets_to_transaction {what}",
            lambda: p.send_offsets_to_transaction(
                [TopicPartition(inp, part, o) for part, o in offs.items()],
                c.consumer_group_metadata(),
                WAIT,
            ),
        )
        check(p.flush(WAIT) == 0, f"{what}: output delivered")
        ck_step(f"{finish} {what}", lambda: getattr(p, f"{finish}_transaction")(WAIT))
        return offs

    batch1 = ck_take(c, 15)
    offs1 = round_trip(batch1, "commit", "round 1")
    got = ck_committed(group, inp)
    check(got == as_full(offs1), f"offsets of a committed transaction are committed: {got} != {offs1}")

    ck_plain_produce(inp, values("in2", 15))
    batch2 = ck_take(c, 15)
    offs2 = round_trip(batch2, "abort", "round 2")
    check(offs2 != offs1, "round 2 moves the offsets")
    got = ck_committed(group, inp)
    check(got == as_full(offs1), f"offsets of an aborted transaction must not be committed: {got}, expected {offs1}")

    round_trip(batch2, "commit", "round 3")
    got = ck_committed(group, inp)
    check(got == as_full(offs2), f"offsets of the second committed transaction: {got} != {offs2}")
    c.close()

    def outs(*batches):
        s = {part: [] for part in range(PARTITIONS)}
        for b in batches:
            for part, _, v in b:
                s[part].append(f"out-{v}")
        return s

    expect_read(ck_read, out, "read_committed", outs(batch1, batch2), "after commit, abort, commit")
    expect_read(ck_read, out, "read_uncommitted", outs(batch1, batch2, batch2), "after commit, abort, commit")


def ck_fencing():
    topic = f"ck-fence-{suffix}"
    txn_id = f"ck-fence-{suffix}"
    create_topic(topic)
    zombie = ck_txn_producer(txn_id)
    before = values("before", 9)
    ck_step("zombie begin 1", zombie.begin_transaction)
    ck_send(zombie, topic, before)
    ck_step("zombie commit 1", lambda: zombie.commit_transaction(WAIT))

    ck_step("zombie begin 2", zombie.begin_transaction)
    ck_send(zombie, topic, values("zombie", 9))
    check(zombie.flush(WAIT) == 0, "zombie's open transaction delivered")

    successor = ck_txn_producer(txn_id)
    after = values("successor", 9)
    ck_step("successor begin", successor.begin_transaction)
    ck_send(successor, topic, after)
    ck_step("successor commit", lambda: successor.commit_transaction(WAIT))

    for i, v in enumerate(values("late", 9)):
        try:
            zombie.produce(topic, value=v.encode(), partition=i % PARTITIONS)
        except (KafkaException, BufferError):
            pass  # already fatal: refused locally, which is fine
    try:
        zombie.commit_transaction(WAIT)
        fail("a fenced producer's commit succeeded")
    except KafkaException as e:
        err = e.args[0]
        check(is_fencing(err), f"zombie's commit failed with {err.name()} ({err}), not a fencing error")
        check(err.fatal(), f"fencing is fatal for the zombie: {err}")

    expect_read(ck_read, topic, "read_committed", concat(by_partition(before), by_partition(after)),
                "after the zombie was fenced")
    seen = ck_read(topic, "read_uncommitted", {0: [None] * 9, 1: [None] * 9, 2: [None] * 9})
    flat = [v for vs in seen.values() for v in vs]
    check(not any(v.startswith("late-") for v in flat), f"records sent by a fenced producer were stored: {seen}")
    check(len(flat) == 27, f"read_uncommitted sees before, zombie and successor records once each: {seen}")


# ---------------------------------------------------------------- kafka-python

from kafka import KafkaConsumer, KafkaProducer  # noqa: E402
from kafka import TopicPartition as KTP  # noqa: E402
from kafka.errors import InvalidProducerEpochError, KafkaError as KPError, ProducerFencedError  # noqa: E402
from kafka.structs import OffsetAndMetadata  # noqa: E402


def kp_txn_producer(txn_id):
    p = KafkaProducer(bootstrap_servers=bootstrap, transactional_id=txn_id, linger_ms=5, max_block_ms=WAIT * 1000)
    try:
        p.init_transactions()
    except KPError as e:
        fail(f"kafka-python init_transactions({txn_id}): {e!r}")
    return p


def kp_step(what, fn):
    try:
        return bounded(f"kafka-python {what}", fn)
    except KPError as e:
        fail(f"kafka-python {what}: {e!r}")


def kp_send(p, topic, vals):
    for i, v in enumerate(vals):
        p.send(topic, key=v.encode(), value=v.encode(), partition=i % PARTITIONS)


def kp_read(topic, isolation, expected):
    c = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        isolation_level=isolation,
        fetch_max_wait_ms=100,
    )
    tps = [KTP(topic, p) for p in range(PARTITIONS)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    seen = {p: [] for p in range(PARTITIONS)}
    alive = deadline(WAIT)
    drain_end = None
    while alive() and (drain_end is None or time.monotonic() < drain_end):
        if drain_end is None and all(len(seen[p]) >= len(vs) for p, vs in expected.items()):
            drain_end = time.monotonic() + 1.0
        for tp, records in c.poll(timeout_ms=100).items():
            for r in records:
                seen[tp.partition].append("<null>" if r.value is None else r.value.decode(errors="replace"))
    c.close()
    return seen


def kp_commit_abort():
    topic = f"kp-txn-{suffix}"
    create_topic(topic)
    p = kp_txn_producer(f"kp-ca-{suffix}")

    committed = values("commit", 30)
    kp_step("begin 1", p.begin_transaction)
    kp_send(p, topic, committed)
    kp_step("commit 1", p.commit_transaction)
    committed = by_partition(committed)

    aborted = values("abort", 30)
    kp_step("begin 2", p.begin_transaction)
    kp_send(p, topic, aborted)
    kp_step("flush", lambda: p.flush(timeout=WAIT))
    aborted = by_partition(aborted)
    expect_read(kp_read, topic, "read_committed", committed, "while a transaction is open")
    expect_read(kp_read, topic, "read_uncommitted", concat(committed, aborted), "while a transaction is open")
    kp_step("abort 2", p.abort_transaction)

    ends = [f"end-{i}" for i in range(PARTITIONS)]
    kp_step("begin 3", p.begin_transaction)
    kp_send(p, topic, ends)
    kp_step("commit 3", p.commit_transaction)
    ends = by_partition(ends)

    # Both clients read what kafka-python wrote.
    for reader in (kp_read, ck_read):
        expect_read(reader, topic, "read_committed", concat(committed, ends), "after commit, abort, commit")
        expect_read(reader, topic, "read_uncommitted", concat(committed, aborted, ends), "after commit, abort, commit")
    p.close(timeout=5)


def kp_send_offsets():
    inp, out, group = f"kp-in-{suffix}", f"kp-out-{suffix}", f"kp-ctp-{suffix}"
    create_topic(inp)
    create_topic(out)
    ck_plain_produce(inp, values("in", 12))
    p = kp_txn_producer(f"kp-ctp-{suffix}")

    def offsets(n_per_partition):
        return {KTP(inp, part): OffsetAndMetadata(n_per_partition, "", -1) for part in range(PARTITIONS)}

    kp_step("begin 1", p.begin_transaction)
    kp_send(p, out, values("out1", 6))
    kp_step("send_offsets 1", lambda: p.send_offsets_to_transaction(offsets(2), group))
    kp_step("commit 1", p.commit_transaction)
    got = ck_committed(group, inp)
    check(got == {0: 2, 1: 2, 2: 2}, f"kafka-python: committed transaction's offsets: {got}")

    kp_step("begin 2", p.begin_transaction)
    kp_send(p, out, values("out2", 6))
    kp_step("send_offsets 2", lambda: p.send_offsets_to_transaction(offsets(4), group))
    kp_step("flush", lambda: p.flush(timeout=WAIT))
    kp_step("abort 2", p.abort_transaction)
    got = ck_committed(group, inp)
    check(got == {0: 2, 1: 2, 2: 2}, f"kafka-python: aborted transaction's offsets must not be committed: {got}")

    kp_step("begin 3", p.begin_transaction)
    kp_send(p, out, values("out3", 6))
    kp_step("send_offsets 3", lambda: p.send_offsets_to_transaction(offsets(4), group))
    kp_step("commit 3", p.commit_transaction)
    got = ck_committed(group, inp)
    check(got == {0: 4, 1: 4, 2: 4}, f"kafka-python: second committed transaction's offsets: {got}")
    expect_read(kp_read, out, "read_committed", concat(by_partition(values("out1", 6)), by_partition(values("out3", 6))),
                "after commit, abort, commit")
    p.close(timeout=5)


def kp_fencing():
    topic = f"kp-fence-{suffix}"
    txn_id = f"kp-fence-{suffix}"
    create_topic(topic)
    zombie = kp_txn_producer(txn_id)
    kp_step("zombie begin", zombie.begin_transaction)
    kp_send(zombie, topic, values("zombie", 6))
    kp_step("zombie flush", lambda: zombie.flush(timeout=WAIT))

    successor = kp_txn_producer(txn_id)
    kp_step("successor begin", successor.begin_transaction)
    kp_send(successor, topic, values("successor", 6))
    kp_step("successor commit", successor.commit_transaction)

    def zombie_commit():
        try:
            kp_send(zombie, topic, values("late", 6))
        except KPError:
            pass  # refused locally once the producer knows it is fenced
        zombie.commit_transaction()

    try:
        bounded("kafka-python zombie commit", zombie_commit)
        fail("kafka-python: a fenced producer's commit succeeded")
    except (ProducerFencedError, InvalidProducerEpochError):
        pass
    except KPError as e:
        fail(f"kafka-python: zombie's commit failed with {e!r}, not a fencing error")

    expect_read(kp_read, topic, "read_committed", by_partition(values("successor", 6)), "after the zombie was fenced")
    try:
        zombie.close(timeout=2)
    except Exception:  # noqa: BLE001 - a fenced producer may complain on close
        pass
    successor.close(timeout=5)


ck_commit_abort()
ck_consume_transform_produce()
ck_fencing()
kp_commit_abort()
kp_send_offsets()
kp_fencing()
print("ok: confluent-kafka and kafka-python transactions: commit/abort visibility per isolation level, "
      "send_offsets_to_transaction, zombie fencing")
