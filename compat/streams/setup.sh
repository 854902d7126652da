#!/usr/bin/env bash
# Builds the Kafka Streams compatibility suite once with Maven (local repository: the default
# ~/.m2): target/streams-compat-0.jar and its classpath in target/classpath.txt, and resolves the
# Kafka broker's classpath (compat/kafka) for run-against-kafka.sh. Online first; offline (-o)
# when Maven Central cannot be reached but ~/.m2 holds the jars. Run again, it is quick.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v mvn >/dev/null || { echo "setup.sh: mvn not found" >&2; exit 1; }
command -v java >/dev/null || { echo "setup.sh: java not found" >&2; exit 1; }
if ! mvn -q -B -Dstyle.color=never -f "$here/pom.xml" package; then
    echo "setup.sh: online build failed, trying offline" >&2
    mvn -q -B -o -Dstyle.color=never -f "$here/pom.xml" package
fi
"$here/../kafka/kafka-broker.sh" classpath >/dev/null
echo "setup.sh: built $here/target/streams-compat-0.jar; classpath in $here/target/classpath.txt"
