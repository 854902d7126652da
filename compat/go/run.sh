#!/usr/bin/env bash
# The Go suites against BOOTSTRAP: the client scenarios (scenarios.sh), then franz-go's pkg/kgo
# tests (kgo.sh). --strict ignores KNOWN_FAILURES and KGO_KNOWN_FAILURES (used against Kafka).
#
#   compat/go/run.sh BOOTSTRAP [--strict]
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 ]] || { echo "usage: run.sh BOOTSTRAP [--strict]" >&2; exit 2; }
rc=0
"$here/scenarios.sh" "$@" || rc=1
"$here/kgo.sh" "$@" || rc=1
exit $rc
