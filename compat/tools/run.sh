#!/usr/bin/env bash
# Kafka's own command-line tools (Apache Kafka 4.4.0, through kafka-tool.sh) against one broker,
# each scenario asserted on the tools' output.
#
#   compat/tools/run.sh BOOTSTRAP [--strict] [NAME-PREFIX...]
#
# One line per scenario: `ok: NAME`, `FAIL: NAME: reason` (then the tool's output, indented), or
# `known: NAME: reason` for a scenario listed in compat/tools/KNOWN_FAILURES (Kalfka's diagnosed
# failures), which does not fail the run. --strict ignores KNOWN_FAILURES: every scenario must pass
# (the run against Apache Kafka). Exits non-zero if any scenario failed. Every topic, group and
# transactional id is unique to the run (kt-<run>-...). Some scenarios build on earlier ones
# (groups.* on console.produce-consume); a prefix selects scenarios but runs what they need.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -ge 1 ]] || { echo "usage: run.sh BOOTSTRAP [--strict] [NAME-PREFIX...]" >&2; exit 2; }
B="$1"; shift
known_file="$here/KNOWN_FAILURES"
prefixes=()
for a in "$@"; do
    if [[ "$a" == "--strict" ]]; then known_file=""; else prefixes+=("$a"); fi
done
tool_timeout_s="${TOOLS_TIMEOUT_S:-60}"
run_id="$(date +%s)-$$"
P="kt-$run_id"
"$here/kafka-tool.sh" classpath >/dev/null || { echo "FAIL: setup: cannot resolve the tools' classpath"; exit 1; }
work="$(mktemp -d /tmp/kafka-tools.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# ---- helpers: `t TOOL ARGS...` runs a tool (fails on a non-zero exit), `has`/`hasnt` assert on
# its output; each sets $why on failure. Output ($out) is stdout and stderr together.
out=""; why=""; last=""
t() {
    last="kafka-$*"
    out="$(timeout "$tool_timeout_s" "$here/kafka-tool.sh" "$@" 2>&1)"
    local rc=$?
    if (( rc != 0 )); then why="exit $rc from: $last"; return 1; fi
}
t_in() {   # t_in INPUT TOOL ARGS...: the same, with INPUT on stdin
    local input="$1"; shift
    last="kafka-$*"
    out="$(printf '%b' "$input" | timeout "$tool_timeout_s" "$here/kafka-tool.sh" "$@" 2>&1)"
    local rc=$?
    if (( rc != 0 )); then why="exit $rc from: $last"; return 1; fi
}
has() { grep -qE -- "$1" <<<"$out" || { why="expected /$1/ in the output of: $last"; return 1; }; }
hasnt() { ! grep -qE -- "$1" <<<"$out" || { why="unexpected /$1/ in the output of: $last"; return 1; }; }
fail() { why="$1"; return 1; }

passed=0; failed=0; knowns=0
declare -A known_reason=()
if [[ -n "$known_file" && -f "$known_file" ]]; then
    while IFS= read -r line; do
        [[ -z "$line" || "$line" == \#* ]] && continue
        name="${line%% *}"; reason="${line#* }"
        if [[ "$reason" == "$line" || -z "${reason// }" ]]; then
            echo "FAIL: KNOWN_FAILURES: no reason given for $name"; failed=$((failed + 1)); continue
        fi
        known_reason["$name"]="$reason"
    done < "$known_file"
fi
declare -A seen=()
selected() {
    (( ${#prefixes[@]} == 0 )) && return 0
    local p; for p in "${prefixes[@]}"; do [[ "$1" == "$p"* ]] && return 0; done; return 1
}
scenario() {   # scenario NAME FUNCTION
    local name="$1" fn="$2" t0=$SECONDS
    seen["$name"]=1
    out=""; why=""; last=""
    if "$fn"; then
        echo "ok: $name ($((SECONDS - t0)) s)"; passed=$((passed + 1))
    elif [[ -n "${known_reason[$name]:-}" ]]; then
        echo "known: $name: ${known_reason[$name]}"; knowns=$((knowns + 1))
    else
        echo "FAIL: $name: $why"
        sed 's/^/    | /' <<<"$out" | head -n 60
        failed=$((failed + 1))
    fi
}

# ---- topics
T_TOPIC="$P-topic"
s_topics() {
    t topics --bootstrap-server "$B" --create --topic "$T_TOPIC" --partitions 3 --replication-factor 1 \
        --config retention.ms=3600000 || return 1
    has "Created topic $T_TOPIC\." || return 1
    t topics --bootstrap-server "$B" --describe --topic "$T_TOPIC" || return 1
    has "Topic: $T_TOPIC	.*PartitionCount: 3	.*ReplicationFactor: 1	.*Configs: .*retention\.ms=3600000" || return 1
    has "Topic: $T_TOPIC	Partition: 2	Leader: [0-9]+" || return 1
    t topics --bootstrap-server "$B" --alter --topic "$T_TOPIC" --partitions 5 || return 1
    t topics --bootstrap-server "$B" --describe --topic "$T_TOPIC" || return 1
    has "PartitionCount: 5	" || return 1
    has "Topic: $T_TOPIC	Partition: 4	Leader: [0-9]+" || return 1
    t topics --bootstrap-server "$B" --list || return 1
    has "^$T_TOPIC\$" || return 1
    t topics --bootstrap-server "$B" --delete --topic "$T_TOPIC" || return 1
    local i
    for i in 1 2 3 4 5; do   # deletion is asynchronous in Kafka: a few looks, bounded
        t topics --bootstrap-server "$B" --list || return 1
        grep -qx -- "$T_TOPIC" <<<"$out" || return 0
        sleep 1
    done
    hasnt "^$T_TOPIC\$"
}

# ---- configs
C_TOPIC="$P-configs"
s_configs_topic() {
    t topics --bootstrap-server "$B" --create --topic "$C_TOPIC" --partitions 1 --replication-factor 1 \
        --config retention.ms=7200000 || return 1
    t configs --bootstrap-server "$B" --describe --entity-type topics --entity-name "$C_TOPIC" || return 1
    has "Dynamic configs for topic $C_TOPIC are:" || return 1
    has "^  retention\.ms=7200000 sensitive=false synonyms=\{DYNAMIC_TOPIC_CONFIG:retention\.ms=7200000" || return 1
    t configs --bootstrap-server "$B" --alter --entity-type topics --entity-name "$C_TOPIC" \
        --add-config max.message.bytes=200000,cleanup.policy=compact || return 1
    has "Completed updating config for topic $C_TOPIC\." || return 1
    t configs --bootstrap-server "$B" --alter --entity-type topics --entity-name "$C_TOPIC" --delete-config retention.ms || return 1
    has "Completed updating config for topic $C_TOPIC\." || return 1
    t configs --bootstrap-server "$B" --describe --entity-type topics --entity-name "$C_TOPIC" || return 1
    has "^  max\.message\.bytes=200000 sensitive=false" || return 1
    has "^  cleanup\.policy=compact sensitive=false" || return 1
    hasnt "retention\.ms=7200000" || return 1
    # --all lists the defaults too: retention.ms is back to the broker's default (7 days)
    t configs --bootstrap-server "$B" --describe --all --entity-type topics --entity-name "$C_TOPIC" || return 1
    has "All configs for topic $C_TOPIC are:" || return 1
    has "^  retention\.ms=604800000 sensitive=false" || return 1
    has "^  max\.message\.bytes=200000 sensitive=false" || return 1
    # an unknown config is refused
    t configs --bootstrap-server "$B" --alter --entity-type topics --entity-name "$C_TOPIC" --add-config no.such.config=1 \
        && fail "no.such.config=1 was accepted: $out"
    has "InvalidConfigurationException|Unknown topic config name|Invalid config" || return 1
}
broker_id=""
find_broker_id() {
    [[ -n "$broker_id" ]] && return 0
    t topics --bootstrap-server "$B" --describe --topic "$C_TOPIC" || return 1
    broker_id="$(grep -oE 'Leader: [0-9]+' <<<"$out" | head -n1 | grep -oE '[0-9]+')"
    [[ -n "$broker_id" ]] || fail "no leader in the output of: $last"
}
s_configs_broker() {
    find_broker_id || return 1
    t configs --bootstrap-server "$B" --describe --entity-type brokers --entity-name "$broker_id" || return 1
    has "Dynamic configs for broker $broker_id are:" || return 1
    t configs --bootstrap-server "$B" --describe --all --entity-type brokers --entity-name "$broker_id" || return 1
    has "All configs for broker $broker_id are:" || return 1
    has "^  num\.partitions=[0-9]+ sensitive=false" || return 1
    has "^  log\.retention\.hours=168 sensitive=false" || return 1
    t configs --bootstrap-server "$B" --describe --entity-type brokers --entity-default || return 1
    has "Default configs for brokers in the cluster are:" || return 1
}

# ---- console producer and consumer, consumer groups
G_TOPIC="$P-group"
G="$P-group"
mid_time=""
s_console() {
    t topics --bootstrap-server "$B" --create --topic "$G_TOPIC" --partitions 1 --replication-factor 1 || return 1
    local i first="" second=""
    for i in 0 1 2 3 4; do first+="src:cli,n:$i\tk$i:value-$i\n"; done
    for i in 5 6 7 8 9; do second+="src:cli,n:$i\tk$i:value-$i\n"; done
    # two batches 1.5 s apart: groups.reset-to-datetime resets to the time between them
    t_in "$first" console-producer --bootstrap-server "$B" --topic "$G_TOPIC" \
        --reader-property parse.key=true --reader-property key.separator=: --reader-property parse.headers=true || return 1
    sleep 1.5
    mid_time="$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)"
    sleep 1.5
    t_in "$second" console-producer --bootstrap-server "$B" --topic "$G_TOPIC" \
        --reader-property parse.key=true --reader-property key.separator=: --reader-property parse.headers=true || return 1
    t console-consumer --bootstrap-server "$B" --topic "$G_TOPIC" --group "$G" --from-beginning --max-messages 10 \
        --timeout-ms 30000 --formatter-property print.key=true --formatter-property print.headers=true \
        --formatter-property print.offset=true || return 1
    has "Processed a total of 10 messages" || return 1
    for i in 0 1 2 3 4 5 6 7 8 9; do
        has "^Offset:$i	src:cli,n:$i	k$i	value-$i\$" || return 1
    done
}
describe_group() {   # describe_group CURRENT LAG
    t consumer-groups --bootstrap-server "$B" --describe --group "$G" || return 1
    has "^$G +$G_TOPIC +0 +$1 +10 +$2 " || return 1
}
s_groups_describe() {
    describe_group 10 0 || return 1
    t consumer-groups --bootstrap-server "$B" --list || return 1
    has "^$G\$" || return 1
    t consumer-groups --bootstrap-server "$B" --describe --group "$G" --state || return 1
    has "^$G +[^ ]+ +\\([0-9]+\\) +[^ ]+ +Empty +0 *\$" || return 1
}
s_groups_reset_dry_run() {
    t consumer-groups --bootstrap-server "$B" --reset-offsets --group "$G" --topic "$G_TOPIC" --to-earliest --dry-run || return 1
    has "^$G +$G_TOPIC +0 +0\$" || return 1
    describe_group 10 0
}
s_groups_reset_execute() {
    t consumer-groups --bootstrap-server "$B" --reset-offsets --group "$G" --topic "$G_TOPIC" --to-earliest --execute || return 1
    has "^$G +$G_TOPIC +0 +0\$" || return 1
    describe_group 0 10
}
s_groups_reset_datetime() {
    [[ -n "$mid_time" ]] || fail "no time between the two batches (console.produce-consume failed)" || return 1
    t consumer-groups --bootstrap-server "$B" --reset-offsets --group "$G" --topic "$G_TOPIC" --to-datetime "$mid_time" --execute || return 1
    has "^$G +$G_TOPIC +0 +5\$" || return 1
    describe_group 5 5
}
s_groups_shift_by() {
    t consumer-groups --bootstrap-server "$B" --reset-offsets --group "$G" --topic "$G_TOPIC" --shift-by -3 --execute || return 1
    has "^$G +$G_TOPIC +0 +2\$" || return 1
    describe_group 2 8 || return 1
    # shifting past the log start clamps to the earliest offset
    t consumer-groups --bootstrap-server "$B" --reset-offsets --group "$G" --topic "$G_TOPIC" --shift-by -100 --dry-run || return 1
    has "^$G +$G_TOPIC +0 +0\$"
}
s_groups_delete_offsets() {
    t consumer-groups --bootstrap-server "$B" --delete-offsets --group "$G" --topic "$G_TOPIC" || return 1
    has "Request succeeded for deleting offsets from group $G\." || return 1
    has "^$G_TOPIC +0 +Successful *\$" || return 1
    t consumer-groups --bootstrap-server "$B" --describe --group "$G" || return 1
    hasnt "^$G +$G_TOPIC +0 +[0-9]" || return 1
}
s_groups_delete() {
    t consumer-groups --bootstrap-server "$B" --delete --group "$G" || return 1
    has "Deletion of requested consumer groups \('$G'\) was successful\." || return 1
    t consumer-groups --bootstrap-server "$B" --list || return 1
    hasnt "^$G\$" || return 1
    t consumer-groups --bootstrap-server "$B" --describe --group "$G" && fail "describe of a deleted group succeeded: $out"
    has "GroupIdNotFoundException: Group $G not found\." || return 1
}

# ---- get-offsets, delete-records (on the group's topic: 10 records at offsets 0..9)
s_get_offsets() {
    t get-offsets --bootstrap-server "$B" --topic "$G_TOPIC" || return 1
    has "^$G_TOPIC:0:10\$" || return 1
    t get-offsets --bootstrap-server "$B" --topic "$G_TOPIC" --time -2 || return 1
    has "^$G_TOPIC:0:0\$" || return 1
    t get-offsets --bootstrap-server "$B" --topic-partitions "$G_TOPIC:0" --time -3 || return 1   # max timestamp
    has "^$G_TOPIC:0:[5-9]\$"   # the last record with the highest timestamp
}
s_delete_records() {
    printf '{"version":1,"partitions":[{"topic":"%s","partition":0,"offset":4}]}\n' "$G_TOPIC" > "$work/delete.json"
    t delete-records --bootstrap-server "$B" --offset-json-file "$work/delete.json" || return 1
    has "partition: $G_TOPIC-0	low_watermark: 4" || return 1
    t get-offsets --bootstrap-server "$B" --topic "$G_TOPIC" --time -2 || return 1
    has "^$G_TOPIC:0:4\$" || return 1
    t get-offsets --bootstrap-server "$B" --topic "$G_TOPIC" --time -1 || return 1
    has "^$G_TOPIC:0:10\$" || return 1
    # past the high watermark: OFFSET_OUT_OF_RANGE
    printf '{"version":1,"partitions":[{"topic":"%s","partition":0,"offset":50}]}\n' "$G_TOPIC" > "$work/delete-past.json"
    t delete-records --bootstrap-server "$B" --offset-json-file "$work/delete-past.json"
    has "partition: $G_TOPIC-0	error: .*OffsetOutOfRangeException" || return 1
}

# ---- transactions: a transactional producer writes 3 records to partition 0 and halts without
# committing (OpenTransaction.java), leaving an Ongoing transaction. A really hanging transaction
# (records on a partition the coordinator does not know to be in the transaction) cannot be made
# with a correct client, least of all under transaction.version 2, so find-hanging must find none
# and `abort` aborts the open one at the partition (WriteTxnMarkers to the leader).
X_TOPIC="$P-txn"
X_ID="$P-txn-id"
open_txn_ok=""
open_transaction() {
    [[ -n "$open_txn_ok" ]] && return 0
    t topics --bootstrap-server "$B" --create --topic "$X_TOPIC" --partitions 1 --replication-factor 1 || return 1
    mkdir -p "$here/target/classes"
    if [[ ! -f "$here/target/classes/OpenTransaction.class" || "$here/OpenTransaction.java" -nt "$here/target/classes/OpenTransaction.class" ]]; then
        out="$(javac -d "$here/target/classes" -cp "$(cat "$here/target/classpath.txt")" "$here/OpenTransaction.java" 2>&1)" \
            || fail "javac OpenTransaction.java failed" || return 1
    fi
    last="OpenTransaction $X_TOPIC $X_ID 3"
    out="$(timeout "$tool_timeout_s" java -Xmx256m -XX:TieredStopAtLevel=1 -Dlog4j2.configurationFile="$here/target/log4j2.properties" \
        -cp "$here/target/classes:$(cat "$here/target/classpath.txt")" OpenTransaction "$B" "$X_TOPIC" "$X_ID" 3 2>&1)" \
        || fail "exit $? from: $last" || return 1
    has "open transaction: 3 records in $X_TOPIC-0" || return 1
    open_txn_ok=1
}
s_txn_list() {
    open_transaction || return 1
    t transactions --bootstrap-server "$B" list || return 1
    has "^TransactionalId *	Coordinator *	ProducerId *	TransactionState" || return 1
    has "^$X_ID *	[0-9]+ *	[0-9]+ *	Ongoing *	"
}
s_txn_describe() {
    open_transaction || return 1
    t transactions --bootstrap-server "$B" describe --transactional-id "$X_ID" || return 1
    has "^[0-9]+ *	$X_ID *	[0-9]+ *	0 *	Ongoing *	600000 *	[0-9]{13} *	[0-9]+ *	$X_TOPIC-0 *	?\$"
}
s_txn_describe_producers() {
    open_transaction || return 1
    t transactions --bootstrap-server "$B" describe-producers --topic "$X_TOPIC" --partition 0 || return 1
    has "^ProducerId *	ProducerEpoch *	LatestCoordinatorEpoch *	LastSequence *	LastTimestamp *	CurrentTransactionStartOffset" || return 1
    # producer id, epoch 0, coordinator epoch -1 (no marker yet), last sequence 2, start offset 0
    has "^[0-9]+ *	0 *	-1 *	2 *	[0-9]{13} *	0 *	?\$"
}
s_txn_find_hanging() {
    open_transaction || return 1
    t transactions --bootstrap-server "$B" find-hanging --topic "$X_TOPIC" --max-transaction-timeout 0 || return 1
    has "^Topic *	Partition *	ProducerId *	ProducerEpoch *	CoordinatorEpoch *	StartOffset *	LastTimestamp *	Duration\(min\)" || return 1
    [[ "$(grep -c . <<<"$out")" == 1 ]] || fail "find-hanging found a hanging transaction where there is none"
}
s_txn_abort() {
    open_transaction || return 1
    t transactions --bootstrap-server "$B" abort --topic "$X_TOPIC" --partition 0 --start-offset 0 || return 1
    # the abort marker follows the 3 records; a read_committed consumer sees none of them
    t get-offsets --bootstrap-server "$B" --topic "$X_TOPIC" || return 1
    has "^$X_TOPIC:0:4\$" || return 1
    t console-consumer --bootstrap-server "$B" --topic "$X_TOPIC" --from-beginning --timeout-ms 3000 \
        --command-property isolation.level=read_committed
    has "Processed a total of 0 messages" || return 1
    # no open transaction left; the producer's coordinator epoch is the marker's (last, so that a
    # wrong epoch does not hide the checks above)
    t transactions --bootstrap-server "$B" describe-producers --topic "$X_TOPIC" --partition 0 || return 1
    has "^[0-9]+ *	0 *	[0-9-]+ *	2 *	[0-9]{13} *	None *	?\$" || return 1
    has "^[0-9]+ *	0 *	[0-9]+ *	2 *	[0-9]{13} *	None *	?\$"
}

# ---- features, log-dirs, leader election
s_features() {
    t features --bootstrap-server "$B" describe || return 1
    has "^Feature: metadata\.version[[:space:]]+SupportedMinVersion: [0-9.IV-]+[[:space:]]+SupportedMaxVersion: [0-9.IV-]+[[:space:]]+FinalizedVersionLevel: [0-9.IV-]+[[:space:]]+Epoch: [0-9]+" || return 1
    has "^Feature: group\.version[[:space:]]+SupportedMinVersion: 0[[:space:]]+SupportedMaxVersion: 1[[:space:]]+FinalizedVersionLevel: 1[[:space:]]" || return 1
    has "^Feature: transaction\.version[[:space:]]+SupportedMinVersion: 0[[:space:]]+SupportedMaxVersion: 2[[:space:]]+FinalizedVersionLevel: 2[[:space:]]" || return 1
    t features --bootstrap-server "$B" version-mapping --release-version 4.0 || return 1   # client-side: no broker asked
    has "^metadata\.version=25 \(4\.0"
}
s_log_dirs() {
    t log-dirs --bootstrap-server "$B" --describe --topic-list "$G_TOPIC" || return 1
    has "Received log directory information from brokers [0-9]+" || return 1
    has "\"partition\":\"$G_TOPIC-0\",\"size\":[1-9][0-9]*,\"offsetLag\":0,\"isFuture\":false" || return 1
    has "\"error\":null,\"logDir\":\"/"
}
s_leader_election() {
    t leader-election --bootstrap-server "$B" --election-type preferred --all-topic-partitions || return 1
    hasnt "Error|Exception|failed" || return 1
    t leader-election --bootstrap-server "$B" --election-type preferred --topic "$G_TOPIC" --partition 0 || return 1
    has "Valid replica already elected for partitions $G_TOPIC-0"
}

# ---- perf tests
F_TOPIC="$P-perf"
s_producer_perf() {
    t topics --bootstrap-server "$B" --create --topic "$F_TOPIC" --partitions 2 --replication-factor 1 || return 1
    t producer-perf-test --topic "$F_TOPIC" --num-records 1000 --record-size 100 --throughput -1 \
        --producer-props bootstrap.servers="$B" acks=all || return 1
    has "^1000 records sent, [0-9.]+ records/sec \([0-9.]+ MB/sec\), [0-9.]+ ms avg latency, [0-9.]+ ms max latency" || return 1
    t get-offsets --bootstrap-server "$B" --topic "$F_TOPIC" || return 1
    local total
    total="$(grep -oE "^$F_TOPIC:[0-9]+:[0-9]+\$" <<<"$out" | awk -F: '{s += $3} END {print s + 0}')"
    [[ "$total" == 1000 ]] || fail "the end offsets of $F_TOPIC add up to $total, not 1000"
}
s_consumer_perf() {
    t consumer-perf-test --bootstrap-server "$B" --topic "$F_TOPIC" --messages 1000 --timeout 30000 \
        --group "$P-perf-group" || return 1
    has "^start\.time, end\.time, data\.consumed\.in\.MB, MB\.sec, data\.consumed\.in\.nMsg, " || return 1
    # data.consumed.in.MB = 1000 x 100 B; data.consumed.in.nMsg = 1000
    has "^[0-9:. -]+, [0-9:. -]+, 0\.0954, [0-9.]+, 1000, "
}

all=(
    topics:s_topics
    configs.topic:s_configs_topic
    configs.broker:s_configs_broker
    console.produce-consume:s_console
    groups.describe:s_groups_describe
    groups.reset-dry-run:s_groups_reset_dry_run
    groups.reset-execute:s_groups_reset_execute
    groups.reset-to-datetime:s_groups_reset_datetime
    groups.reset-shift-by:s_groups_shift_by
    groups.delete-offsets:s_groups_delete_offsets
    groups.delete:s_groups_delete
    get-offsets:s_get_offsets
    delete-records:s_delete_records
    transactions.list:s_txn_list
    transactions.describe:s_txn_describe
    transactions.describe-producers:s_txn_describe_producers
    transactions.find-hanging:s_txn_find_hanging
    transactions.abort:s_txn_abort
    features:s_features
    log-dirs:s_log_dirs
    leader-election:s_leader_election
    perf.producer:s_producer_perf
    perf.consumer:s_consumer_perf
)
# what a selected scenario needs from the ones before it
needs() {
    case "$1" in
        configs.broker) echo configs.topic ;;
        # each groups.* scenario expects the offsets the ones before it left
        groups.*) echo console.produce-consume groups.describe groups.reset-dry-run groups.reset-execute \
            groups.reset-to-datetime groups.reset-shift-by groups.delete-offsets ;;
        get-offsets|delete-records|log-dirs|leader-election) echo console.produce-consume ;;
        perf.consumer) echo perf.producer ;;
    esac
}
t_start=$SECONDS
echo "kafka tools: $B, $(basename "$(tr ':' '\n' < "$here/target/classpath.txt" | grep -m1 '/kafka-tools-[0-9]')" .jar), names $P-*" >&2
want=()
for entry in "${all[@]}"; do
    name="${entry%%:*}"
    if selected "$name"; then want+=("$(needs "$name")" "$name"); fi
done
for entry in "${all[@]}"; do
    name="${entry%%:*}"
    w=" ${want[*]} "
    [[ "$w" == *" $name "* ]] || continue
    scenario "$name" "${entry#*:}"
done
for name in "${!known_reason[@]}"; do
    if [[ -z "${seen[$name]:-}" ]] && (( ${#prefixes[@]} == 0 )); then
        echo "FAIL: KNOWN_FAILURES names no scenario: $name"; failed=$((failed + 1))
    fi
done
echo "kafka tools: $passed ok, $failed failed, $knowns known, $((SECONDS - t_start)) s" >&2
(( failed == 0 ))
