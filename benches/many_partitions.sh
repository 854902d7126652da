#!/usr/bin/env bash
# Many-partitions benchmark (issue 12): builds the release binary and runs
# benches/many_partitions.py with N one-partition topics (default 10000).
# Usage: benches/many_partitions.sh [N]
# Another broker (e.g. Apache Kafka in KRaft mode) with the same directory shape:
#   python3 benches/many_partitions.py --start 'CMD {port} {cport} {datadir}' \
#     [--prepare 'CMD run once on the empty data directory'] N
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin kalfka
python3 benches/many_partitions.py target/release/kalfka "${1:-10000}"
