#!/usr/bin/env bash
# Runs the Java client compatibility suite against one broker.
#
#   compat/java/run.sh BOOTSTRAP [--strict] [NAME-PREFIX...]
#
# One line per scenario: `ok: NAME`, `FAIL: NAME: reason`, or `known: NAME: reason` for a scenario
# listed in compat/java/KNOWN_FAILURES (Kalfka's diagnosed failures), which does not fail the run.
# --strict ignores KNOWN_FAILURES: every scenario must pass (the run against Apache Kafka).
# Exits non-zero if any scenario failed. Client logs (WARN and up) go to target/logs/.
# KAFKA_CLIENTS_VERSION=4.0.0 runs the suite built against that kafka-clients (setup.sh 4.0.0).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 ]] || { echo "usage: run.sh BOOTSTRAP [--strict] [NAME-PREFIX...]" >&2; exit 2; }
bootstrap="$1"; shift
known=(--known "$here/KNOWN_FAILURES")
args=()
for a in "$@"; do
    if [[ "$a" == "--strict" ]]; then known=(); else args+=("$a"); fi
done
version="${KAFKA_CLIENTS_VERSION:-}"
build="$here/target${version:+-$version}"
jar="$build/java-compat-0.jar"
if [[ ! -f "$jar" || ! -f "$build/classpath.txt" ]]; then
    "$here/setup.sh" $version >&2
fi
mkdir -p "$here/target/logs"
log="$here/target/logs/clients-$(date +%Y%m%dT%H%M%S)-$$.log"
echo "java compat: $bootstrap, kafka-clients $(basename "$(tr ':' '\n' < "$build/classpath.txt" | grep -m1 '/kafka-clients-')" .jar), client logs in $log" >&2
exec java -Xmx512m \
    -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    -Dorg.slf4j.simpleLogger.logFile="$log" \
    -Dorg.slf4j.simpleLogger.showDateTime=true \
    -cp "$jar:$(cat "$build/classpath.txt")" \
    compat.Main "$bootstrap" "${known[@]}" "${args[@]}"
