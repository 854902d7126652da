#!/usr/bin/env bash
# Starts Apache Kafka (compat/kafka) on a fresh data directory, runs the Go scenarios and then
# franz-go's pkg/kgo tests against it with --strict (a scenario failing against Kafka is a wrong
# scenario; a kgo test failing against Kafka belongs in KGO_NOT_APPLICABLE), and stops it.
#
#   compat/go/run-against-kafka.sh [PORT] [scenarios|kgo|all]   (PORT default 19492, PORT+1 its controller)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${1:-19492}"
what="${2:-all}"
dir="$(mktemp -d /tmp/kafka-oracle.XXXXXX)"
cleanup() {
    "$here/../kafka/kafka-broker.sh" stop "$dir" || true
    rm -rf "$dir"
}
trap cleanup EXIT
bootstrap="$("$here/../kafka/kafka-broker.sh" start "$port" "$dir")"
rc=0
case "$what" in
    all) "$here/run.sh" "$bootstrap" --strict || rc=$? ;;
    scenarios) "$here/scenarios.sh" "$bootstrap" --strict || rc=$? ;;
    kgo) "$here/kgo.sh" "$bootstrap" --strict || rc=$? ;;
    *) echo "run-against-kafka.sh: scenarios, kgo or all, not $what" >&2; exit 2 ;;
esac
exit $rc
