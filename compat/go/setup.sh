#!/usr/bin/env bash
# Prepares compat/go on a fresh machine (CI, as root): Go from /usr/local/go or the PATH, every
# module go.mod pins (the three clients, and franz-go's own test dependencies, whose source
# kgo.sh tests), the scenarios binary built to compat/go/target/scenarios, and franz-go's pkg/kgo
# tests compiled once so that the first kgo.sh run does not pay for it.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "compat/go/setup.sh: no go on the PATH or in /usr/local/go/bin" >&2; exit 1; }
cd "$here"
t0=$(date +%s)
go mod download
mkdir -p target
go build -o target/scenarios ./scenarios
ver="$(go list -m -f '{{.Version}}' github.com/twmb/franz-go)"
src="$(go mod download -json "github.com/twmb/franz-go@$ver" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
( cd "$src" && go mod download )
# compile (not run) the kgo tests: fills the build cache
work="$(mktemp -d)"; trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"; chmod -R u+w "$work"
( cd "$work/pkg/kgo" && go test -c -o /dev/null . )
echo "compat/go/setup.sh: ready in $(( $(date +%s) - t0 )) s (go $(go env GOVERSION), franz-go $ver)"
