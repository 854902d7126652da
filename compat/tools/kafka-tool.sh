#!/usr/bin/env bash
# Runs one of Kafka's command-line tools from the Maven artifacts of compat/tools/pom.xml
# (Apache Kafka 4.4.0, like the oracle in compat/kafka).
#
#   kafka-tool.sh classpath              resolve the classpath (cached in target/classpath.txt)
#   kafka-tool.sh NAME ARGS...           NAME is a script name without .sh (kafka-topics, topics, ...)
#   kafka-tool.sh MAIN.CLASS ARGS...     or a fully qualified main class
#
# The JVM is $KAFKA_JAVA, or java on the PATH. Tool logging is WARN and up, to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cp_file="$here/target/classpath.txt"
java_bin="${KAFKA_JAVA:-java}"

die() { echo "kafka-tool.sh: $*" >&2; exit 1; }

# shellcheck source=../maven-classpath.sh
source "$here/../maven-classpath.sh"

resolve_classpath() {
    maven_classpath "$here/pom.xml" "$cp_file" "Kafka tools" || die "no classpath"
}

# The main class of each kafka-*.sh script of Kafka 4.4 (bin/*.sh), by script name.
main_class() {
    case "${1#kafka-}" in
        topics) echo org.apache.kafka.tools.TopicCommand ;;
        configs) echo org.apache.kafka.tools.ConfigCommand ;;
        consumer-groups) echo org.apache.kafka.tools.consumer.group.ConsumerGroupCommand ;;
        console-producer) echo org.apache.kafka.tools.ConsoleProducer ;;
        console-consumer) echo org.apache.kafka.tools.consumer.ConsoleConsumer ;;
        get-offsets) echo org.apache.kafka.tools.GetOffsetShell ;;
        delete-records) echo org.apache.kafka.tools.DeleteRecordsCommand ;;
        transactions) echo org.apache.kafka.tools.TransactionsCommand ;;
        features) echo org.apache.kafka.tools.FeatureCommand ;;
        log-dirs) echo org.apache.kafka.tools.LogDirsCommand ;;
        leader-election) echo org.apache.kafka.tools.LeaderElectionCommand ;;
        producer-perf-test) echo org.apache.kafka.tools.ProducerPerformance ;;
        consumer-perf-test) echo org.apache.kafka.tools.ConsumerPerformance ;;
        *.*) echo "$1" ;;
        *) die "unknown tool $1 (a kafka-*.sh name or a main class)" ;;
    esac
}

[[ $# -ge 1 ]] || die "usage: kafka-tool.sh classpath | NAME-OR-CLASS ARGS..."
if [[ "$1" == classpath ]]; then resolve_classpath; echo "$cp_file"; exit 0; fi
class="$(main_class "$1")"; shift
resolve_classpath
if [[ ! -f "$here/target/log4j2.properties" ]]; then
    cat > "$here/target/log4j2.properties" <<'L4J'
appender.err.type=Console
appender.err.name=err
appender.err.target=SYSTEM_ERR
appender.err.layout.type=PatternLayout
appender.err.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=WARN
rootLogger.appenderRef.err.ref=err
L4J
fi
# -XX:TieredStopAtLevel=1 -Xshare:auto: a tool runs for a second or two, C1 alone starts faster
exec "$java_bin" -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$here/target/log4j2.properties" \
    -cp "$(cat "$cp_file")" "$class" "$@"
