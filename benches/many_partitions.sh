#!/usr/bin/env bash
# Many-partitions benchmark (issue 12): builds the release binary and runs
# benches/many_partitions.py with N one-partition topics (default 10000).
# Usage: benches/many_partitions.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin kalfka
python3 benches/many_partitions.py target/release/kalfka "${1:-10000}"
