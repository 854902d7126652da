"""Holds a transaction open (confluent-kafka) for the console's browser suite.

Usage: transaction.py BOOTSTRAP TOPIC

Begins a transaction as transactional id `console-tx`, produces one record to partition 0 of
TOPIC, prints `{"ready": true}`, then waits for a line on stdin (or stdin closing; at most
120 s) and aborts the transaction.
"""

import json
import select
import sys

from confluent_kafka import Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": "console-tx"})
producer.init_transactions(30)
producer.begin_transaction()
producer.produce(topic, key="in-txn", value="not committed yet", partition=0)
if producer.flush(30):
    print("FAIL: the record was not delivered", file=sys.stderr)
    sys.exit(1)
print(json.dumps({"ready": True}), flush=True)
select.select([sys.stdin], [], [], 120)
producer.abort_transaction(30)
print(json.dumps({"aborted": True}), flush=True)
