#!/usr/bin/env bash
# kcat (Debian's 1.7.1, librdkafka 2.0.2): list metadata, produce keyed records with -P -K:,
# consume them back with -C -e, byte for byte.
# Usage: kcat_roundtrip.sh HOST:PORT
set -euo pipefail
bootstrap=$1
topic="kcat-$$-$RANDOM"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kcat -b "$bootstrap" -L -m 10 > "$work/list.txt"
grep -q "1 brokers:" "$work/list.txt" || { echo "FAIL: kcat -L shows no broker"; cat "$work/list.txt"; exit 1; }

for i in $(seq 1 200); do echo "key$((i % 5)):value number $i"; done > "$work/in.txt"
# Producing to a new topic creates it (Metadata auto-creation), as with Kafka's defaults.
timeout 60 kcat -b "$bootstrap" -P -t "$topic" -K: -z snappy -X topic.request.required.acks=-1 < "$work/in.txt"
timeout 60 kcat -b "$bootstrap" -C -t "$topic" -o beginning -e -f '%k:%s\n' -m 10 > "$work/out.txt"
if ! diff <(sort "$work/in.txt") <(sort "$work/out.txt") > "$work/diff.txt"; then
  echo "FAIL: kcat round trip differs"; head -20 "$work/diff.txt"; exit 1
fi
# Single partition (num.partitions=1): order is preserved exactly.
diff "$work/in.txt" "$work/out.txt" > /dev/null || { echo "FAIL: order differs"; exit 1; }
kcat -b "$bootstrap" -L -t "$topic" -m 10 | grep -q "topic \"$topic\" with 1 partitions" \
  || { echo "FAIL: topic not listed with 1 partition"; exit 1; }
echo "ok: kcat round trip of $(wc -l < "$work/in.txt") records on $topic"
