package streams;

import static streams.Env.check;
import static streams.Env.checkEq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/** The scenarios: each runs {@link App} on its own topics and application id. */
final class Scenarios {
    private Scenarios() {}

    static final String ALOS = "at_least_once", EOS = "exactly_once_v2";

    static void register(Map<String, Scenario> s) {
        s.put("internal-topics", Scenarios::internalTopics);
        s.put("repartition-purge", Scenarios::repartitionPurge);
        s.put("single." + ALOS, e -> single(e, ALOS));
        s.put("single." + EOS, e -> single(e, EOS));
        s.put("streams-protocol." + EOS, e -> single(e, EOS, StreamsConfig.GROUP_PROTOCOL_CONFIG, "streams"));
        s.put("failover." + ALOS, e -> failover(e, ALOS, true));
        s.put("failover." + EOS, e -> failover(e, EOS, true));
        s.put("failover-new-id." + EOS, e -> failover(e, EOS, false));
    }

    /**
     * Streams creates its changelog and repartition topics (CreateTopics, replication.factor -1 =
     * the broker's default) with 4 partitions like the input, and the configs it asks for, which
     * DescribeConfigs reports as topic overrides: changelogs compacted (the windowed one compacted
     * and deleted after the window store's retention plus a day), repartition topics deleted and
     * kept forever (Streams purges them itself).
     */
    static void internalTopics(Env e) throws Exception {
        Data d = new Data(200);
        App.Topics t = e.createTopics();
        String app = e.name("app");
        e.produceCustomers(t, d);
        e.produceOrders(t, d, 0, d.n);
        KafkaStreams ks = start(e, t, app, ALOS);
        new Output(e, t, d).awaitComplete(60000, () -> healthy(ks));

        List<String> want = new ArrayList<>();
        for (String s : App.INTERNAL) want.add(app + "-" + s);
        List<String> got = e.admin().listTopics().names().get().stream().filter(n -> n.startsWith(app + "-")).sorted().toList();
        checkEq(want.stream().sorted().toList(), got, "internal topics of " + app);
        Map<String, TopicDescription> desc = e.admin().describeTopics(want).allTopicNames().get();
        for (String n : want) {
            checkEq(Env.PARTITIONS, desc.get(n).partitions().size(), "partitions of " + n);
            checkEq(1, desc.get(n).partitions().get(0).replicas().size(), "replicas of " + n + " partition 0");
        }
        Map<String, Map<String, String>> want2 = new TreeMap<>();
        String compact = "compact";
        want2.put(app + "-customers-changelog", Map.of("cleanup.policy", compact));
        want2.put(app + "-region-counts-changelog", Map.of("cleanup.policy", compact));
        long windowRetention = App.WINDOW.toMillis() + App.GRACE.toMillis() + Duration.ofDays(1).toMillis();
        want2.put(app + "-region-window-sums-changelog",
                Map.of("cleanup.policy", "compact,delete", "retention.ms", Long.toString(windowRetention)));
        for (String r : List.of("by-region-repartition", "by-region-window-repartition")) {
            want2.put(app + "-" + r, Map.of("cleanup.policy", "delete", "retention.ms", "-1", "segment.bytes", "52428800"));
        }
        List<ConfigResource> res = want.stream().map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList();
        Map<ConfigResource, Config> configs = e.admin().describeConfigs(res).all().get();
        for (ConfigResource r : res) {
            for (Map.Entry<String, String> w : want2.get(r.name()).entrySet()) {
                ConfigEntry ce = configs.get(r).get(w.getKey());
                check(ce != null, "%s: DescribeConfigs has no %s", r.name(), w.getKey());
                checkEq(w.getValue(), ce.value(), r.name() + " " + w.getKey());
                checkEq(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG, ce.source(), r.name() + " " + w.getKey() + " source");
            }
        }
    }

    /**
     * Streams deletes the records it consumed and committed from its repartition topics
     * (DeleteRecords): their log start offsets rise above 0, never past the group's committed
     * offset; the input and changelog topics keep every record.
     */
    static void repartitionPurge(Env e) throws Exception {
        Data d = new Data(600);
        App.Topics t = e.createTopics();
        String app = e.name("app");
        e.produceCustomers(t, d);
        KafkaStreams ks = start(e, t, app, ALOS);
        // several batches, so that several commits (and purges, every 200 ms) happen
        for (int b = 0; b < 4; b++) {
            e.produceOrders(t, d, b * d.n / 4, (b + 1) * d.n / 4);
            Thread.sleep(500);
        }
        new Output(e, t, d).awaitComplete(60000, () -> healthy(ks));
        for (String r : List.of("by-region-repartition", "by-region-window-repartition")) {
            String topic = app + "-" + r;
            AtomicReference<String> last = new AtomicReference<>();
            Env.eventually(20000, () -> {
                try {
                    Map<TopicPartition, Long> start = e.startOffsets(topic), end = e.endOffsets(topic);
                    last.set("log start offsets " + new TreeMap<>(byPartition(start)) + ", end offsets " + new TreeMap<>(byPartition(end)));
                    // a partition that got records has had some deleted (4 regions may hash to fewer partitions)
                    return end.values().stream().anyMatch(o -> o > 0)
                            && start.keySet().stream().allMatch(tp -> end.get(tp) == 0 || start.get(tp) > 0);
                } catch (Exception ex) {
                    throw new RuntimeException(ex);
                }
            }, () -> topic + ": a partition with records not purged 20 s after the input was processed: " + last.get());
            Map<TopicPartition, OffsetAndMetadata> committed =
                    e.admin().listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get();
            for (Map.Entry<TopicPartition, Long> s : e.startOffsets(topic).entrySet()) {
                OffsetAndMetadata c = committed.get(s.getKey());
                check(s.getValue() == 0 || (c != null && s.getValue() <= c.offset()), "%s: log start offset %d past the committed offset %s",
                        s.getKey(), s.getValue(), c);
            }
        }
        for (String kept : List.of(t.orders(), t.customers(), app + "-region-counts-changelog")) {
            checkEq(0L, e.startOffsets(kept).values().stream().mapToLong(Long::longValue).sum(), "log start offsets of " + kept);
        }
    }

    /**
     * One instance in this JVM: outputs exact, the input's offsets committed to its end. With
     * group.protocol=streams (KIP-1071: StreamsGroupHeartbeat; the broker creates the internal
     * topics) instead of the classic protocol Streams uses by default.
     */
    static void single(Env e, String guarantee, Object... kv) throws Exception {
        Data d = new Data(600);
        App.Topics t = e.createTopics();
        String app = e.name("app");
        e.produceCustomers(t, d);
        e.produceOrders(t, d, 0, d.n);
        KafkaStreams ks = start(e, t, app, guarantee, kv);
        Output o = new Output(e, t, d);
        o.awaitComplete(90000, () -> healthy(ks));
        check(ks.close(Duration.ofSeconds(30)), "KafkaStreams.close did not finish within 30 s");
        o.drain(15000);
        o.check(true);
        checkCommittedToEnd(e, app, t);
    }

    /** The group's committed offsets on the input topics are their end offsets. */
    static void checkCommittedToEnd(Env e, String app, App.Topics t) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed =
                e.admin().listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata().get();
        for (String in : List.of(t.orders(), t.customers())) {
            for (Map.Entry<TopicPartition, Long> end : e.endOffsets(in).entrySet()) {
                OffsetAndMetadata c = committed.get(end.getKey());
                checkEq(end.getValue(), c == null ? null : c.offset(), "committed offset of " + end.getKey());
            }
        }
    }

    /**
     * Two instances in child JVMs share the 4 partitions; while the orders arrive, one is killed
     * (SIGKILL; under exactly_once_v2 while it has records in an open transaction) and started
     * again. exactly_once_v2: every order joined exactly once, counts and window sums exact, each
     * update strictly above the previous (read_committed), and read_uncommitted also sees the
     * aborted records of the killed instance. at_least_once: every order joined at least once,
     * aggregates never below the expected. Both: the group's offsets end committed at the input's end.
     *
     * {@code sameId}: RocksDB stores; the instance restarts on its state directory, so with the same
     * process id and transactional.id: its InitProducerId fences the killed producer and aborts its
     * open transaction. Otherwise in-memory stores and a new process id: the killed producer's open
     * transaction stays (read_committed consumers, the survivor's too, see nothing past it) until the
     * coordinator aborts it after transaction.timeout.ms (10 s under exactly_once_v2).
     */
    static void failover(Env e, String guarantee, boolean sameId) throws Exception {
        Data d = new Data(1200);
        App.Topics t = e.createTopics();
        String app = e.name("app");
        e.produceCustomers(t, d);
        Instance a = e.worker(t, app, guarantee, "a", sameId), b = e.worker(t, app, guarantee, "b", sameId);
        a.awaitActive(60000);
        b.awaitActive(60000);
        String threadA = a.threadName(10000);

        AtomicReference<Throwable> producerFailed = new AtomicReference<>();
        Thread producer = new Thread(() -> {
            try {
                for (int i = 0; i < d.n; i += 40) {
                    e.produceOrders(t, d, i, Math.min(d.n, i + 40));
                    Thread.sleep(100);
                }
            } catch (Throwable ex) {
                producerFailed.set(ex);
            }
        }, "orders");
        producer.setDaemon(true);
        producer.start();

        Output o = new Output(e, t, d);
        Runnable ok = () -> {
            for (Instance i : List.of(a, b)) check(i.error() == null, "%s: %s", i.label, i.error());
            check(producerFailed.get() == null, "producing orders failed: %s", producerFailed.get());
        };
        long deadline = System.currentTimeMillis() + 60000;
        while (o.seen() < d.n / 4) {
            check(System.currentTimeMillis() < deadline, "only %d orders joined 60 s after the first was produced", o.seen());
            ok.run();
            o.awaitSome();
        }
        int atKill = o.seen();
        check(atKill < d.n, "all orders were processed before the kill: nothing to test");
        // exactly_once_v2: kill a while it has a transaction open on the broker. Only task 0_p
        // writes enriched-p, so records past the last stable offset of a's partitions are a's.
        // Freeze it (SIGSTOP) to look, and let it go on (SIGCONT) until it is caught in one. The
        // records must stay past the last stable offset for 300 ms while it is frozen: an EndTxn
        // sent just before the freeze would otherwise commit them after the look.
        long open = 0;
        List<Integer> aParts = a.activePartitions(0);
        check(!aParts.isEmpty(), "a has no task of sub-topology 0");
        for (int tries = 0; guarantee.equals(EOS); tries++) {
            check(tries < 50, "a was not caught with records in an open transaction on %s %s in 50 tries", t.enriched(), aParts);
            a.signal("STOP");
            long first = e.unstable(t.enriched(), aParts);
            if (first > 0) {
                Thread.sleep(300);
                open = e.unstable(t.enriched(), aParts);
                if (open == first) break;
            }
            a.signal("CONT");
            Thread.sleep(20 + tries * 3);
        }
        a.kill();
        long killedAt = System.currentTimeMillis();
        Instance a2 = e.worker(t, app, guarantee, "a", sameId);
        producer.join(60000);
        check(!producer.isAlive(), "producing orders took over 60 s");
        Runnable ok2 = () -> {
            ok.run();
            check(a2.error() == null, "%s (restarted): %s", a2.label, a2.error());
        };
        o.awaitComplete(120000, ok2);
        e.note("killed a after " + atKill + " of " + d.n + " orders joined"
                + (guarantee.equals(EOS) ? " with " + open + " records in an open transaction" : "") + ", outputs complete "
                + (System.currentTimeMillis() - killedAt) + " ms later");
        String threadA2 = a2.threadName(30000);
        check(threadA.equals(threadA2) == sameId, "restarted instance runs %s, the killed one ran %s: want %s process id",
                threadA2, threadA, sameId ? "the same" : "a new");
        a2.stop(40000);
        b.stop(40000);
        o.drain(15000);
        o.check(guarantee.equals(EOS));
        checkCommittedToEnd(e, app, t);
        if (guarantee.equals(EOS)) {
            // the killed instance's open transaction was aborted, not lost: read_uncommitted sees it
            long raw = o.readUncommittedEnriched(e, 15000);
            check(raw >= d.n + open, "read_uncommitted sees %d joined records: want at least %d (each order once, and the %d "
                    + "records of the killed instance's open transaction)", raw, d.n + open, open);
        }
        e.note(o.summary());
    }

    /** Starts App in this JVM; a stream thread's exception shuts it down, and healthy() reports it. */
    static KafkaStreams start(Env e, App.Topics t, String app, String guarantee, Object... kv) throws Exception {
        KafkaStreams ks = e.streams(t, app, guarantee, "a", kv);
        AtomicReference<Throwable> failed = new AtomicReference<>();
        ks.setUncaughtExceptionHandler(ex -> {
            failed.compareAndSet(null, ex);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        ERRORS.put(ks, failed);
        ks.start();
        return ks;
    }

    private static final Map<KafkaStreams, AtomicReference<Throwable>> ERRORS =
            java.util.Collections.synchronizedMap(new java.util.WeakHashMap<>());

    static void healthy(KafkaStreams ks) {
        Throwable ex = ERRORS.get(ks).get();
        check(ex == null, "stream thread died: %s", ex == null ? "" : Main.describe(ex));
        check(ks.state() != KafkaStreams.State.ERROR && ks.state() != KafkaStreams.State.NOT_RUNNING,
                "KafkaStreams is %s", ks.state());
    }

    private static Map<Integer, Long> byPartition(Map<TopicPartition, Long> m) {
        Map<Integer, Long> r = new TreeMap<>();
        m.forEach((tp, o) -> r.put(tp.partition(), o));
        return r;
    }
}
