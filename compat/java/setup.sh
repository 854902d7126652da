#!/usr/bin/env bash
# Resolves and builds what the Java compatibility suite and the Kafka oracle need, once, with
# Maven (local repository: the default ~/.m2, which CI caches). Run again, it is quick and offline.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v mvn >/dev/null || { echo "setup.sh: mvn not found" >&2; exit 1; }
command -v java >/dev/null || { echo "setup.sh: java not found" >&2; exit 1; }
mvn -q -B -f "$here/pom.xml" package
"$here/../kafka/kafka-broker.sh" classpath >/dev/null
echo "setup.sh: built $here/target/java-compat-0.jar; Kafka classpath in $here/../kafka/target/classpath.txt"
