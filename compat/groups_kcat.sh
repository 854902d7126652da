#!/usr/bin/env bash
# kcat -G (Debian's 1.7.1, librdkafka 2.0.2: JoinGroup/SyncGroup v0-era versions, OffsetCommit
# and OffsetFetch in the exact ranges it requires): a balanced consumer reads every record and
# commits on close; the next one resumes after the commit.
# Usage: groups_kcat.sh HOST:PORT
set -euo pipefail
bootstrap=$1
topic="kcatg-$$-$RANDOM"
group="kcat-group-$$"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

consume() {
  timeout 60 kcat -b "$bootstrap" -G "$group" "$topic" -e -q \
    -X auto.offset.reset=earliest -X session.timeout.ms=6000 -X heartbeat.interval.ms=500
}

seq 1 100 > "$work/first.txt"
timeout 60 kcat -b "$bootstrap" -P -t "$topic" < "$work/first.txt"
consume > "$work/out1.txt"
diff <(sort -n "$work/first.txt") <(sort -n "$work/out1.txt") > /dev/null \
  || { echo "FAIL: kcat -G did not read every record once"; head "$work/out1.txt"; exit 1; }
seq 101 120 > "$work/second.txt"
timeout 60 kcat -b "$bootstrap" -P -t "$topic" < "$work/second.txt"
consume > "$work/out2.txt"
diff <(sort -n "$work/second.txt") <(sort -n "$work/out2.txt") > /dev/null \
  || { echo "FAIL: kcat -G did not resume at its commit"; head "$work/out2.txt"; exit 1; }
echo "ok: kcat -G consumed 100 records, committed, and resumed with the next 20"
