#!/usr/bin/env bash
# Starts Apache Kafka (compat/kafka) on a fresh data directory, runs the whole Java suite against it
# with --strict (every scenario must pass: a scenario failing against Kafka is a wrong scenario),
# and stops it.
#
#   compat/java/run-against-kafka.sh [PORT] [NAME-PREFIX...]     (PORT default 19392; PORT+1 for its controller)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
port="${1:-19392}"
[[ $# -ge 1 ]] && shift
exec "$here/../kafka/kafka-broker.sh" with "$port" "$here/run.sh" --strict "$@"
