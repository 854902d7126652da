#!/usr/bin/env bash
# Resolves and builds what the Java compatibility suite and the Kafka oracle need, once, with
# Maven (local repository: the default ~/.m2, which CI caches), and the classpaths of the Kafka
# broker (compat/kafka) and of Kafka's command-line tools (compat/tools). Run again, it is quick.
#
#   compat/java/setup.sh              the suite against kafka-clients of pom.xml (newest 4.x), in target/
#   compat/java/setup.sh 4.0.0        the suite against another kafka-clients, in target-4.0.0/
#                                     (run.sh uses it when KAFKA_CLIENTS_VERSION=4.0.0)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v mvn >/dev/null || { echo "setup.sh: mvn not found" >&2; exit 1; }
command -v java >/dev/null || { echo "setup.sh: java not found" >&2; exit 1; }
if [[ $# -ge 1 && -n "$1" ]]; then
    mvn -q -B -Dstyle.color=never -f "$here/pom.xml" package -Dkafka.clients.version="$1" -Dcompat.build.dir="$here/target-$1"
    echo "setup.sh: built $here/target-$1/java-compat-0.jar against kafka-clients $1"
else
    mvn -q -B -Dstyle.color=never -f "$here/pom.xml" package
    "$here/../kafka/kafka-broker.sh" classpath >/dev/null
    "$here/../tools/kafka-tool.sh" classpath >/dev/null
    echo "setup.sh: built $here/target/java-compat-0.jar; Kafka classpath in $here/../kafka/target/classpath.txt, Kafka tools classpath in $here/../tools/target/classpath.txt"
fi
