"""Bench (not a timed test): the console's JSON endpoints with 1,000 topics and 100 groups.

Start a broker, then run this against it:

    cargo build --release
    target/release/kalfka --data-dir /tmp/kalfka-bench --http-listen 127.0.0.1:9644 &
    python3 compat/console/bench.py http://127.0.0.1:9644 127.0.0.1:9092

It creates topics bench-0000..bench-0999 (1 partition each, through the console's
POST /api/v1/topics), 100 groups bench-g00..bench-g99 (offsets committed by confluent-kafka
for 10 topics each) and 10,000 records of ~100 bytes in bench-0500 (for the message browser,
whose filtered page scans them all), then requests each console endpoint ROUNDS times and
prints the median, p95 and max answer time in ms. The goal is every endpoint under 50 ms.
"""

import json
import statistics
import sys
import time
import urllib.request

from confluent_kafka import Consumer, Producer, TopicPartition

TOPICS = 1000
GROUPS = 100
ROUNDS = 30

url, bootstrap = sys.argv[1].rstrip("/"), sys.argv[2]


def call(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method,
                                 headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


existing = {t["name"] for t in json.loads(call("GET", "/api/v1/topics")[1])["topics"]}
for i in range(TOPICS):
    name = f"bench-{i:04d}"
    if name not in existing:
        status, body = call("POST", "/api/v1/topics", {"name": name, "partitions": 1})
        if status != 200:
            sys.exit(f"create {name}: {status} {body!r}")
for g in range(GROUPS):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-g{g:02d}",
                         "enable.auto.commit": False})
    offsets = [TopicPartition(f"bench-{(g * 10 + k) % TOPICS:04d}", 0, 0) for k in range(10)]
    consumer.commit(offsets=offsets, asynchronous=False)
    consumer.close()

RECORDS = 10_000
hw = json.loads(call("GET", "/api/v1/topics/bench-0500")[1])["partition_details"][0]["high_watermark"]
if hw < RECORDS:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(RECORDS - hw):
        producer.produce("bench-0500", key=f"k{i}", value=("{\"n\": %d, \"pad\": \"%s\"}" % (i, "x" * 70)))
        if i % 1000 == 0:
            producer.poll(0)
    if producer.flush(60):
        sys.exit("records not delivered")

endpoints = [
    "/api/v1/cluster",
    "/api/v1/stats",
    "/api/v1/topics",
    "/api/v1/topics/bench-0500",
    "/api/v1/topics/bench-0500/messages?from=beginning",
    "/api/v1/topics/bench-0500/messages?from=end&limit=500",
    "/api/v1/topics/bench-0500/messages?from=beginning&key=k9999",
    "/api/v1/topics/bench-0500/messages?from=beginning&contains=nowhere",
    "/api/v1/groups",
    "/api/v1/groups/bench-g50",
    "/api/v1/transactions",
    "/api/v1/producers",
    "/",
]
print(f"{TOPICS} topics, {GROUPS} groups, {ROUNDS} rounds per endpoint")
print(f"{'endpoint':72} {'median':>8} {'p95':>8} {'max':>8}  (ms)")
worst = 0.0
for path in endpoints:
    times = []
    for _ in range(ROUNDS):
        t0 = time.perf_counter()
        status, body = call("GET", path)
        times.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            sys.exit(f"{path}: {status} {body[:200]!r}")
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    worst = max(worst, p95)
    print(f"{path:72} {statistics.median(times):8.2f} {p95:8.2f} {times[-1]:8.2f}")
print(f"worst p95: {worst:.2f} ms ({'under' if worst < 50 else 'OVER'} 50 ms)")
