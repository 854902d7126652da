#!/usr/bin/env bash
# Apache Kafka as the test oracle: a single-node KRaft broker (broker and controller in one JVM)
# on a loopback port, from the Maven artifacts named in compat/kafka/pom.xml.
#
#   kafka-broker.sh classpath            resolve the broker's classpath (cached in target/classpath.txt)
#   kafka-broker.sh start PORT DATADIR   format DATADIR, start the broker, wait until it answers,
#                                        print the bootstrap (127.0.0.1:PORT)
#   kafka-broker.sh run PORT DATADIR     format DATADIR and run the broker in the foreground with
#                                        the JVM settings kafka-server-start.sh uses (benchmarks)
#   kafka-broker.sh stop DATADIR         stop the broker started in DATADIR
#   kafka-broker.sh with PORT CMD [ARG...]
#                                        start Kafka on a fresh temp DATADIR, run CMD BOOTSTRAP ARG...,
#                                        stop Kafka and remove DATADIR; exits with CMD's status
#
# The controller listens on PORT+1 (KAFKA_CONTROLLER_PORT overrides). The JVM is $KAFKA_JAVA, or
# java on the PATH; its heap is KAFKA_HEAP_OPTS (-Xmx512m -Xms512m). Logs go to DATADIR/kafka.log.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cp_file="$here/target/classpath.txt"
java_bin="${KAFKA_JAVA:-java}"
ready_timeout_s="${KAFKA_READY_TIMEOUT_S:-90}"

die() { echo "kafka-broker.sh: $*" >&2; exit 1; }

# shellcheck source=../maven-classpath.sh
source "$here/../maven-classpath.sh"

resolve_classpath() {
    maven_classpath "$here/pom.xml" "$cp_file" "Kafka" || die "no classpath"
}

# One ApiVersions v0 request on a fresh connection; true when a response with error 0 comes back.
api_versions_ok() {
    local port="$1" reply
    reply="$(timeout 3 bash -c '
        exec 3<>/dev/tcp/127.0.0.1/'"$port"' || exit 1
        # size 10 | api_key 18 | api_version 0 | correlation_id 1 | client_id null
        printf "\x00\x00\x00\x0a\x00\x12\x00\x00\x00\x00\x00\x01\xff\xff" >&3
        head -c 10 <&3 | od -An -tx1 | tr -d " \n"' 2>/dev/null)" || return 1
    # size (4 bytes) | correlation_id 00000001 | error_code 0000
    [[ "${reply:8:12}" == "000000010000" ]]
}

# Writes DATADIR/server.properties and log4j2.properties and formats the storage.
prepare() {
    local port="$1" dir="$2"
    [[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number"
    local cport="${KAFKA_CONTROLLER_PORT:-$((port + 1))}"
    resolve_classpath
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    rm -rf "$dir/logs"
    cat > "$dir/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$dir/logs
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
EOF
    cat > "$dir/log4j2.properties" <<'EOF'
appender.out.type=Console
appender.out.name=out
appender.out.layout.type=PatternLayout
appender.out.layout.pattern=[%d] %p %m (%c)%n
rootLogger.level=INFO
rootLogger.appenderRef.out.ref=out
logger.kafka.name=kafka
logger.kafka.level=INFO
logger.apache.name=org.apache.kafka
logger.apache.level=INFO
EOF
    local cluster_id storage_tool
    # 16 random bytes, URL-safe base64 without padding: a Kafka Uuid. It starts with "-" one time
    # in 64, so it is passed as --cluster-id=ID (as "-t ID" the option parser took it for an option).
    cluster_id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')"
    storage_tool=kafka.tools.StorageTool
    if unzip -l "$(tr ':' '\n' < "$cp_file" | grep -m1 '/kafka-tools-[0-9]')" 2>/dev/null \
        | grep -q 'org/apache/kafka/tools/StorageTool.class'; then
        storage_tool=org.apache.kafka.tools.StorageTool
    fi
    "$java_bin" -Xmx256m "-Dlog4j2.configurationFile=$dir/log4j2.properties" -cp "$(cat "$cp_file")" "$storage_tool" format \
        "--cluster-id=$cluster_id" -c "$dir/server.properties" >> "$dir/kafka.log" 2>&1 \
        || die "formatting the storage failed (see $dir/kafka.log)"
}

start() {
    local port="$1" dir="$2"
    [[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [[ -f "$dir/kafka.pid" ]] && kill -0 "$(cat "$dir/kafka.pid")" 2>/dev/null; then
        die "a broker already runs from $dir (pid $(cat "$dir/kafka.pid"))"
    fi
    prepare "$port" "$dir"
    local cp log4j="-Dlog4j2.configurationFile=$dir/log4j2.properties"
    cp="$(cat "$cp_file")"
    local t0
    t0="$(date +%s%N)"
    # shellcheck disable=SC2086
    nohup "$java_bin" ${KAFKA_HEAP_OPTS:--Xmx512m -Xms512m} -XX:+UseG1GC -Djava.awt.headless=true \
        "$log4j" -cp "$cp" kafka.Kafka "$dir/server.properties" >> "$dir/kafka.log" 2>&1 < /dev/null &
    local pid=$!
    echo "$pid" > "$dir/kafka.pid"

    local deadline=$((SECONDS + ready_timeout_s))
    until api_versions_ok "$port" && grep -q 'Kafka Server started' "$dir/kafka.log"; do
        kill -0 "$pid" 2>/dev/null \
            || die "Kafka exited during start-up (see $dir/kafka.log); its last lines:
$(grep -E 'ERROR|Exception|Address already in use' "$dir/kafka.log" | tail -n 8)"
        if (( SECONDS >= deadline )); then
            kill "$pid" 2>/dev/null || true
            die "Kafka did not answer on 127.0.0.1:$port within ${ready_timeout_s}s (see $dir/kafka.log)"
        fi
        sleep 0.2
    done
    local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
    echo "kafka-broker.sh: Kafka pid $pid ready on 127.0.0.1:$port in ${ms} ms" >&2
    echo "127.0.0.1:$port"
}

# Formats DATADIR and runs the broker in the foreground (exec), with the JVM settings Kafka's
# own kafka-server-start.sh uses: for benchmarks, whose harness measures the process it started.
run() {
    local port="$1" dir="$2"
    [[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number"
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    prepare "$port" "$dir"
    # shellcheck disable=SC2086
    exec "$java_bin" ${KAFKA_HEAP_OPTS:--Xmx1G -Xms1G} -server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
        -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -XX:MaxInlineLevel=15 \
        -Djava.awt.headless=true "-Dlog4j2.configurationFile=$dir/log4j2.properties" \
        -cp "$(cat "$cp_file")" kafka.Kafka "$dir/server.properties"
}

stop() {
    local dir="$1" pid
    [[ -f "$dir/kafka.pid" ]] || die "no $dir/kafka.pid"
    pid="$(cat "$dir/kafka.pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        local i
        for i in $(seq 1 300); do   # 60 s for a controlled shutdown, then SIGKILL
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        if kill -0 "$pid" 2>/dev/null; then
            echo "kafka-broker.sh: pid $pid still running after 60 s, killing it" >&2
            kill -9 "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$dir/kafka.pid"
}

# Runs one command against a Kafka started for it alone (the run-against-kafka.sh scripts).
with() {
    local port="$1"; shift
    local dir rc=0
    dir="$(mktemp -d /tmp/kafka-oracle.XXXXXX)"
    # shellcheck disable=SC2064
    trap "stop '$dir' || true; rm -rf '$dir'" EXIT
    local bootstrap
    bootstrap="$(start "$port" "$dir")"
    local cmd="$1"; shift
    "$cmd" "$bootstrap" "$@" || rc=$?
    return "$rc"
}

case "${1:-}" in
    classpath) resolve_classpath; echo "$cp_file" ;;
    start) [[ $# -eq 3 ]] || die "usage: start PORT DATADIR"; start "$2" "$3" ;;
    run) [[ $# -eq 3 ]] || die "usage: run PORT DATADIR"; run "$2" "$3" ;;
    stop) [[ $# -eq 2 ]] || die "usage: stop DATADIR"; stop "$2" ;;
    with) [[ $# -ge 3 ]] || die "usage: with PORT CMD [ARG...]"; shift; with "$@" ;;
    *) die "usage: kafka-broker.sh classpath | start PORT DATADIR | run PORT DATADIR | stop DATADIR | with PORT CMD [ARG...]" ;;
esac
