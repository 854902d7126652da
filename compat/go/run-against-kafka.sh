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
case "$what" in
    all) script=run.sh ;;
    scenarios) script=scenarios.sh ;;
    kgo) script=kgo.sh ;;
    *) echo "run-against-kafka.sh: scenarios, kgo or all, not $what" >&2; exit 2 ;;
esac
exec "$here/../kafka/kafka-broker.sh" with "$port" "$here/$script" --strict
