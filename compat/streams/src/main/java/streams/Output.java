package streams;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * The three output topics of {@link App}, read from the beginning by read_committed consumers
 * (assigned, no group), and the checks of what they hold against {@link Data}.
 */
final class Output {
    private final Data data;
    private final Topic enriched, counts, windowed;

    Output(Env e, App.Topics t, Data data) {
        this.data = data;
        enriched = new Topic(e, t.enriched());
        counts = new Topic(e, t.counts());
        windowed = new Topic(e, t.windowed());
    }

    /** Polls until every order was joined and every aggregate reached its expected value. */
    void awaitComplete(long timeoutMs, Runnable alsoCheck) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            alsoCheck.run();
            enriched.poll(100);
            counts.poll(100);
            windowed.poll(100);
            if (missingOrders() == 0 && reached(data.counts(), counts) && reached(data.windowSums(), windowed)) return;
        }
        throw new AssertionError("output incomplete after " + timeoutMs + " ms: " + missingOrders() + " of " + data.n
                + " orders not joined; counts " + counts.last() + " (want " + data.counts() + "); "
                + diff(data.windowSums(), windowed.last()));
    }

    /** Reads every topic to its end (the last stable offset). */
    void drain(long timeoutMs) throws InterruptedException {
        enriched.drain(timeoutMs);
        counts.drain(timeoutMs);
        windowed.drain(timeoutMs);
    }

    /** Polls the joined output once. */
    void awaitSome() {
        enriched.poll(200);
    }

    /** Reads the joined output with read_uncommitted to its end; returns how many records it holds. */
    long readUncommittedEnriched(Env e, long timeoutMs) throws InterruptedException {
        Topic raw = new Topic(e, enriched.topic, "read_uncommitted");
        raw.drain(timeoutMs);
        return raw.recs.size();
    }

    /** How many records each output topic held. */
    String summary() {
        return "outputs: " + enriched.recs.size() + " joined, " + counts.recs.size() + " counts, "
                + windowed.recs.size() + " window sums";
    }

    /** Number of orders read from enriched so far, read_committed. */
    int seen() {
        return enriched.recs.size();
    }

    /**
     * Exactly once: each order joined once with its customer's tier; each count and window sum ends
     * at its expected value after strictly increasing updates. At least once: each order joined at
     * least once; aggregates may count a reprocessed order twice but never end below the expected.
     */
    void check(boolean exactlyOnce) {
        Map<Integer, Integer> times = new TreeMap<>();
        for (ConsumerRecord<String, String> r : enriched.recs) {
            int i = Integer.parseInt(Data.field(r.value(), 0).substring(1));
            Env.checkEq(data.orderKey(i) + "=" + data.enrichedValue(i), r.key() + "=" + r.value(), "joined output of order " + i);
            Env.checkEq(data.timestamp(i), r.timestamp(), "timestamp of the joined output of order " + i);
            times.merge(i, 1, Integer::sum);
        }
        Env.check(missingOrders() == 0, "%d of %d orders have no joined output", missingOrders(), data.n);
        if (exactlyOnce) {
            Map<Integer, Integer> dups = new TreeMap<>();
            times.forEach((i, n) -> { if (n > 1) dups.put(i, n); });
            Env.check(dups.isEmpty(), "exactly_once_v2: %d orders joined more than once (order=times): %s",
                    dups.size(), dups.size() > 20 ? new ArrayList<>(dups.entrySet()).subList(0, 20) + "..." : dups);
        }
        checkAggregate("count per region (" + counts.topic + ")", data.counts(), counts, exactlyOnce);
        checkAggregate("window sum per region (" + windowed.topic + ")", data.windowSums(), windowed, exactlyOnce);
    }

    private static void checkAggregate(String what, Map<String, Long> want, Topic t, boolean exactlyOnce) {
        Map<String, Long> last = t.last();
        Env.checkEq(want.keySet(), last.keySet(), what + ": keys");
        if (exactlyOnce) {
            Env.check(want.equals(last), "%s: %s", what, diff(want, last));
            t.series().forEach((k, vs) -> {
                for (int i = 1; i < vs.size(); i++) {
                    Env.check(vs.get(i) > vs.get(i - 1), "%s: key %s went %s (not strictly increasing under exactly_once_v2)",
                            what, k, vs);
                }
            });
        } else {
            want.forEach((k, v) -> Env.check(last.get(k) >= v, "%s: key %s ends at %d < %d", what, k, last.get(k), v));
        }
    }

    private int missingOrders() {
        boolean[] seen = new boolean[data.n];
        int missing = data.n;
        for (ConsumerRecord<String, String> r : enriched.recs) {
            int i = Integer.parseInt(Data.field(r.value(), 0).substring(1));
            if (i >= 0 && i < data.n && !seen[i]) {
                seen[i] = true;
                missing--;
            }
        }
        return missing;
    }

    private static boolean reached(Map<String, Long> want, Topic t) {
        Map<String, Long> last = t.last();
        return want.entrySet().stream().allMatch(en -> last.getOrDefault(en.getKey(), -1L) >= en.getValue());
    }

    private static String diff(Map<String, Long> want, Map<String, Long> got) {
        Map<String, String> d = new TreeMap<>();
        want.forEach((k, v) -> { if (!v.equals(got.get(k))) d.put(k, "want " + v + " got " + got.get(k)); });
        got.forEach((k, v) -> { if (!want.containsKey(k)) d.put(k, "unexpected " + v); });
        return d.isEmpty() ? "as expected" : d.size() + " differ: " + d;
    }

    /** One output topic read from the beginning, all partitions. */
    static final class Topic {
        final String topic;
        final KafkaConsumer<String, String> c;
        final List<ConsumerRecord<String, String>> recs = new ArrayList<>();
        final List<TopicPartition> tps;

        Topic(Env e, String topic) {
            this(e, topic, "read_committed");
        }

        Topic(Env e, String topic, String isolation) {
            this.topic = topic;
            c = e.consumer(isolation);
            tps = Env.partitions(topic);
            c.assign(tps);
            c.seekToBeginning(tps);
        }

        void poll(long ms) {
            c.poll(Duration.ofMillis(ms)).forEach(recs::add);
        }

        void drain(long timeoutMs) throws InterruptedException {
            Map<TopicPartition, Long> end = c.endOffsets(tps);
            long deadline = System.currentTimeMillis() + timeoutMs;
            while (tps.stream().anyMatch(tp -> c.position(tp) < end.get(tp))) {
                Env.check(System.currentTimeMillis() < deadline, "%s: not read to its end offsets %s within %d ms",
                        topic, end, timeoutMs);
                poll(100);
            }
        }

        /** Each key's values in the order written (a key lives in one partition). */
        Map<String, List<Long>> series() {
            Map<String, List<Long>> m = new LinkedHashMap<>();
            for (ConsumerRecord<String, String> r : recs) {
                m.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(Long.parseLong(r.value()));
            }
            return m;
        }

        Map<String, Long> last() {
            Map<String, Long> m = new TreeMap<>();
            series().forEach((k, vs) -> m.put(k, vs.get(vs.size() - 1)));
            return m;
        }
    }
}
