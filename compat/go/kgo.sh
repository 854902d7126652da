#!/usr/bin/env bash
# franz-go's own pkg/kgo integration tests, from the module source of the franz-go version pinned
# in compat/go/go.mod, run against the broker at BOOTSTRAP (KGO_SEEDS).
#
#   kgo.sh BOOTSTRAP [--strict]
#
# The module cache is read-only, so the package is copied to a temp dir and tested there.
# Every test's result is printed as ok:/FAIL:/known:/skip: NAME. Without --strict, a test listed in
# KGO_KNOWN_FAILURES (Kalfka's diagnosed failures) is reported as known:; tests listed in
# KGO_NOT_APPLICABLE (they fail against Apache Kafka itself) are not run at all.
# KGO_RUN (a go test -run pattern) and KGO_TIMEOUT (default 12m) narrow and bound the run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export PATH="$PATH:/usr/local/go/bin"
[[ $# -ge 1 ]] || { echo "usage: kgo.sh BOOTSTRAP [--strict]" >&2; exit 2; }
bootstrap="$1"; strict=0
[[ "${2:-}" == "--strict" ]] && strict=1

ver="$(cd "$here" && go list -m -f '{{.Version}}' github.com/twmb/franz-go)"
src="$(cd "$here" && go mod download -json "github.com/twmb/franz-go@$ver" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')"
[[ -d "$src/pkg/kgo" ]] || { echo "kgo.sh: no franz-go source for $ver" >&2; exit 1; }
work="$(mktemp -d /tmp/kgo-test.XXXXXX)"
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
cp -r "$src/." "$work/"; chmod -R u+w "$work"

# Tests not run: every KGO_NOT_APPLICABLE name (fails against Kafka itself).
skip="$(grep -v '^#' "$here/KGO_NOT_APPLICABLE" 2>/dev/null | awk 'NF{print $1}' | paste -sd'|' || true)"
args=(-count=1 -json -timeout "${KGO_TIMEOUT:-12m}" -run "${KGO_RUN:-.}")
[[ -n "$skip" ]] && args+=(-skip "^(${skip})\$")

echo "kgo.sh: franz-go $ver pkg/kgo against $bootstrap"
t0=$(date +%s)
json="$work/results.json"
( cd "$work/pkg/kgo" && KGO_SEEDS="$bootstrap" KGO_TEST_RF=1 KGO_LOG_LEVEL="${KGO_LOG_LEVEL:-none}" \
    KGO_TEST_RECORDS="${KGO_TEST_RECORDS:-}" go test "${args[@]}" . > "$json" 2>"$work/stderr" ) || true
t1=$(date +%s)
[[ -n "${KGO_KEEP_JSON:-}" ]] && cp "$json" "$KGO_KEEP_JSON"

known="$(grep -v '^#' "$here/KGO_KNOWN_FAILURES" 2>/dev/null | awk 'NF{print $1}' || true)"
rc=0
python3 - "$json" "$strict" "$known" <<'PY' || rc=$?
import json, sys
path, strict, known = sys.argv[1], sys.argv[2] == "1", set(sys.argv[3].split())
res, out = {}, {}
for line in open(path):
    try: e = json.loads(line)
    except ValueError: continue
    t = e.get("Test")
    if not t or "/" in t: continue
    if e["Action"] in ("pass", "fail", "skip"): res[t] = e["Action"]
    elif e["Action"] == "output": out.setdefault(t, []).append(e["Output"])
    elif e["Action"] == "run": res.setdefault(t, "run")
# a test still "run" at the end was cut by the timeout (go test panics)
counts = dict(ok=0, fail=0, known=0, skip=0)
for t in sorted(res):
    a = res[t]
    if a == "pass": print("ok:", t); counts["ok"] += 1
    elif a == "skip": print("skip:", t); counts["skip"] += 1
    else:
        why = "timed out" if a == "run" else "".join(l for l in out.get(t, []) if "_test.go" in l or "Error" in l)[:300].replace("\n", " | ")
        if t in known and not strict: print("known:", t); counts["known"] += 1
        else: print("FAIL:", t + ":", why.strip()); counts["fail"] += 1
print("kgo.sh: %(ok)d ok, %(fail)d failed, %(known)d known, %(skip)d skipped" % counts)
sys.exit(1 if counts["fail"] or not res else 0)
PY
echo "kgo.sh: $((t1 - t0)) s"
exit $rc
