"""A real consumer-group member (confluent-kafka) for the console's browser suite.

Usage: consumer.py BOOTSTRAP GROUP TOPIC COUNT

Joins GROUP (client id `console-consumer`), reads COUNT records of TOPIC from the committed
offset (earliest when none), commits after them, prints one JSON line per record
({"partition", "offset", "key"}) and then `{"ready": true}`, and stays in the group (the
background thread keeps heartbeating) until a line `stop` arrives on stdin or stdin closes;
then it leaves the group and exits. Every wait is bounded.
"""

import json
import select
import sys
import time

from confluent_kafka import Consumer

bootstrap, group, topic, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
consumer = Consumer({
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "client.id": "console-consumer",
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "session.timeout.ms": 10000,
})
consumer.subscribe([topic])
end = time.monotonic() + 60
read = 0
while read < count:
    if time.monotonic() > end:
        print(f"FAIL: read {read} of {count} records", file=sys.stderr)
        sys.exit(1)
    m = consumer.poll(0.2)
    if m is None:
        continue
    if m.error():
        print(f"FAIL: {m.error()}", file=sys.stderr)
        sys.exit(1)
    read += 1
    key = m.key().decode() if m.key() is not None else None
    print(json.dumps({"partition": m.partition(), "offset": m.offset(), "key": key}), flush=True)
    if read == count:
        consumer.commit(message=m, asynchronous=False)
print(json.dumps({"ready": True}), flush=True)
# Hold the membership: librdkafka heartbeats from its own thread; no poll, so nothing more
# is read or committed. Bounded by the caller's `stop` (or stdin closing) and 120 s.
ready, _, _ = select.select([sys.stdin], [], [], 120)
consumer.close()
print(json.dumps({"closed": True}), flush=True)
