#!/usr/bin/env bash
# Runs the Kafka Streams compatibility suite against one broker.
#
#   compat/streams/run.sh BOOTSTRAP [--strict] [NAME-PREFIX...]
#
# One line per scenario: `ok: NAME`, `FAIL: NAME: reason`, or `known: NAME: reason` for a scenario
# listed in compat/streams/KNOWN_FAILURES (Kalfka's diagnosed failures), which does not fail the
# run. --strict ignores KNOWN_FAILURES: every scenario must pass (the run against Apache Kafka).
# Exits non-zero if any scenario failed. Logs (WARN and up) of this JVM and of the worker JVMs go
# to target/logs/; state directories to target/state/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 ]] || { echo "usage: run.sh BOOTSTRAP [--strict] [NAME-PREFIX...]" >&2; exit 2; }
bootstrap="$1"; shift
known=(--known "$here/KNOWN_FAILURES")
args=()
for a in "$@"; do
    if [[ "$a" == "--strict" ]]; then known=(); else args+=("$a"); fi
done
build="$here/target"
jar="$build/streams-compat-0.jar"
if [[ ! -f "$jar" || ! -f "$build/classpath.txt" ]]; then
    "$here/setup.sh" >&2
fi
mkdir -p "$build/logs"
log="$build/logs/streams-$(date +%Y%m%dT%H%M%S)-$$.log"
echo "streams compat: $bootstrap, $(basename "$(tr ':' '\n' < "$build/classpath.txt" | grep -m1 '/kafka-streams-')" .jar), logs in $log" >&2
exec java -Xmx512m \
    -Dstreams.work="$build" \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -Dorg.slf4j.simpleLogger.logFile="$log" \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    -cp "$jar:$(cat "$build/classpath.txt")" \
    streams.Main "$bootstrap" "${known[@]}" "${args[@]}"
