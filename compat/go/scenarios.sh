#!/usr/bin/env bash
# The Go client scenarios (sarama, kafka-go, franz-go) against BOOTSTRAP; builds them when needed.
#
#   scenarios.sh BOOTSTRAP [--strict] [--only SUBSTRING]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="$PATH:/usr/local/go/bin"
[[ $# -ge 1 ]] || { echo "usage: scenarios.sh BOOTSTRAP [--strict] [--only SUBSTRING]" >&2; exit 2; }
bootstrap="$1"; shift
( cd "$here" && go build -o target/scenarios ./scenarios )
cd "$here"   # KNOWN_FAILURES is read from here
exec target/scenarios "$@" "$bootstrap"
