package compat;

import static compat.Env.check;
import static compat.Env.checkEq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListGroupsOptions;
import org.apache.kafka.clients.admin.ShareGroupDescription;
import org.apache.kafka.clients.consumer.AcknowledgeType;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.KafkaShareConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.GroupType;

/**
 * Share groups (KIP-932) through {@link KafkaShareConsumer}: queue-style consumption where the
 * members of a group read the same partitions and acknowledge each record.
 *
 * <p>A share group starts delivering at the end of each partition (share.auto.offset.reset latest,
 * Kafka's default), from the moment the partition's share state is initialized. Each scenario first
 * sends "warm-up" records to every partition until its consumers have seen one from each, so the
 * records that follow are certainly delivered; warm-up records are otherwise ignored.
 */
final class ShareScenarios {
    private ShareScenarios() {}

    static void register(Map<String, Scenario> s) {
        s.put("share.workers-exactly-once", ShareScenarios::workersExactlyOnce);
        s.put("share.release-redelivers", ShareScenarios::releaseRedelivers);
        s.put("share.reject-not-redelivered", ShareScenarios::rejectNotRedelivered);
        s.put("share.list-describe", ShareScenarios::listDescribe);
        s.put("share.delivery-limit-archives", ShareScenarios::deliveryLimitArchives);
        s.put("share.stalled-worker-lock-expires", ShareScenarios::stalledWorkerLockExpires);
        s.put("share.earliest-by-group-config", ShareScenarios::earliestByGroupConfig);
        s.put("share.seed-story-stream-and-queue", ShareScenarios::seedStory);
        s.put("share.read-committed", ShareScenarios::readCommitted);
        s.put("share.reset-by-duration", ShareScenarios::resetByDuration);
    }

    static final String WARM = "warm-";

    /** A share consumer of the group; explicit acknowledgement when asked. */
    static KafkaShareConsumer<String, String> consumer(Env e, String group, boolean explicit) {
        Map<String, Object> p = new HashMap<>();
        p.put("bootstrap.servers", Env.bootstrap);
        p.put("group.id", group);
        p.put("key.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        p.put("value.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class.getName());
        p.put("share.acknowledgement.mode", explicit ? "explicit" : "implicit");
        p.put("max.poll.records", 10);
        p.put("request.timeout.ms", 15000);
        p.put("default.api.timeout.ms", 30000);
        return new KafkaShareConsumer<>(p);
    }

    /**
     * Sends a warm-up record to each partition every 300 ms until {@code seen} holds one from every
     * partition (the consumers polling meanwhile put what they read in it).
     */
    static void warmUp(KafkaProducer<String, String> p, String topic, int partitions, Set<Integer> seen,
            Runnable pollOnce) throws Exception {
        long deadline = System.currentTimeMillis() + 60000;
        int n = 0;
        while (seen.size() < partitions) {
            check(System.currentTimeMillis() < deadline, "warm-up records of partitions %s never arrived",
                    seen);
            for (int part = 0; part < partitions; part++) {
                p.send(new ProducerRecord<>(topic, part, null, WARM + n));
            }
            p.flush();
            n++;
            long until = System.currentTimeMillis() + 300;
            while (System.currentTimeMillis() < until) pollOnce.run();
        }
    }

    /**
     * Five workers (more than partitions) on a 2-partition topic, implicit acknowledgement: every
     * worker gets work, and every record is processed exactly once.
     */
    static void workersExactlyOnce(Env e) throws Exception {
        int workers = 5, total = 200;
        String topic = e.createTopic("t", 2);
        Map<Integer, List<String>> got = runWorkers(e, topic, e.name("g"), workers, total);
        checkExactlyOnce(got, total);
        for (Map.Entry<Integer, List<String>> w : got.entrySet()) {
            check(!w.getValue().isEmpty(), "worker %d of %d got no work: %s", w.getKey(), workers, sizes(got));
        }
    }

    /**
     * The seed story: a stream group ("search", a classic consumer group) and a share group
     * ("indexing", five workers, more than partitions) read the same 2-partition topic. The stream
     * group sees every record once, in partition order; the indexing workers together process every
     * record exactly once, and more than two of them receive work.
     */
    static void seedStory(Env e) throws Exception {
        int workers = 5, total = 200;
        String topic = e.createTopic("posts", 2);
        KafkaConsumer<String, String> search = e.consumer("group.id", e.name("search"));
        search.subscribe(List.of(topic));
        Map<Integer, List<String>> got = runWorkers(e, topic, e.name("indexing"), workers, total);
        Map<Integer, List<ConsumerRecord<String, String>>> streamed = new HashMap<>();
        streamed.put(0, new ArrayList<>());
        streamed.put(1, new ArrayList<>());
        Runnable read = () -> {
            for (ConsumerRecord<String, String> r : search.poll(Duration.ofMillis(100))) {
                if (!r.value().startsWith(WARM)) streamed.get(r.partition()).add(r);
            }
        };
        Env.eventually(60000, () -> {
            read.run();
            return streamed.get(0).size() + streamed.get(1).size() >= total;
        }, () -> "the search group read " + (streamed.get(0).size() + streamed.get(1).size()) + " of " + total);
        long until = System.currentTimeMillis() + 1000; // a duplicate, if any, would show now
        while (System.currentTimeMillis() < until) read.run();
        for (int part = 0; part < 2; part++) {
            List<String> want = new ArrayList<>();
            for (int i = part; i < total; i += 2) want.add("r" + i);
            checkEq(want, Env.values(streamed.get(part)), "search group, partition " + part + ", in order");
            long last = -1;
            for (ConsumerRecord<String, String> r : streamed.get(part)) {
                check(r.offset() > last, "search group, partition %d: offset %d after %d", part, r.offset(), last);
                last = r.offset();
            }
        }
        checkExactlyOnce(got, total);
        long busy = got.values().stream().filter(l -> !l.isEmpty()).count();
        check(busy > 2, "only %d indexing workers of %d received work: %s", busy, workers, sizes(got));
    }

    static void checkExactlyOnce(Map<Integer, List<String>> got, int total) {
        List<String> all = new ArrayList<>();
        got.values().forEach(all::addAll);
        checkEq(total, all.size(), "records processed (with duplicates)");
        checkEq(total, new TreeSet<>(all).size(), "distinct records processed");
    }

    /**
     * Runs {@code workers} implicit-acknowledgement share consumers of {@code group} on a
     * 2-partition topic while {@code total} records r0.. are sent alternately to partitions 0 and 1
     * (after the warm-up), until they processed that many; returns what each worker processed.
     */
    static Map<Integer, List<String>> runWorkers(Env e, String topic, String group, int workers, int total)
            throws Exception {
        int partitions = 2;
        Map<Integer, List<String>> got = new ConcurrentHashMap<>();
        Set<Integer> warmSeen = ConcurrentHashMap.newKeySet();
        AtomicBoolean stop = new AtomicBoolean();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int id = w;
            got.put(id, new CopyOnWriteArrayList<>());
            Thread t = new Thread(() -> {
                try (KafkaShareConsumer<String, String> c = consumer(e, group, false)) {
                    c.subscribe(List.of(topic));
                    while (!stop.get()) {
                        for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                            if (r.value().startsWith(WARM)) {
                                warmSeen.add(r.partition());
                                continue;
                            }
                            got.get(id).add(r.value());
                            Thread.sleep(10); // the work; meanwhile other workers fetch
                        }
                    }
                    c.commitSync(Duration.ofSeconds(10));
                } catch (Throwable ex) {
                    errors.add(ex);
                }
            }, "share-worker-" + w);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        try {
            KafkaProducer<String, String> p = e.producer("linger.ms", 0, "batch.size", 1);
            warmUp(p, topic, partitions, warmSeen, () -> sleep(50));
            // One batch per record, a few at a time, so that records are spread over the workers.
            for (int i = 0; i < total; i++) {
                p.send(new ProducerRecord<>(topic, i % partitions, null, "r" + i));
                if (i % 10 == 9) {
                    p.flush();
                    sleep(20);
                }
            }
            p.flush();
            Env.eventually(60000, () -> got.values().stream().mapToInt(List::size).sum() >= total,
                    () -> "workers processed " + got.values().stream().mapToInt(List::size).sum() + " of " + total);
            sleep(1000); // a duplicate, if any, would show now
        } finally {
            stop.set(true);
            for (Thread t : threads) t.join(30000);
        }
        check(errors.isEmpty(), "a worker failed: %s", errors.isEmpty() ? "" : Main.describe(errors.get(0)));
        return got;
    }

    static Map<Integer, Integer> sizes(Map<Integer, List<String>> got) {
        Map<Integer, Integer> m = new HashMap<>();
        got.forEach((k, v) -> m.put(k, v.size()));
        return m;
    }

    /** One explicit-acknowledgement consumer on a 1-partition topic, warmed up; values after it. */
    static KafkaShareConsumer<String, String> warmConsumer(Env e, String topic, String... values) throws Exception {
        KafkaShareConsumer<String, String> c = e.track(consumer(e, e.name("g"), true));
        c.subscribe(List.of(topic));
        KafkaProducer<String, String> p = e.producer();
        Set<Integer> seen = new TreeSet<>();
        warmUp(p, topic, 1, seen, () -> {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                c.acknowledge(r, AcknowledgeType.ACCEPT);
                if (r.value().startsWith(WARM)) seen.add(r.partition());
            }
        });
        c.commitSync(Duration.ofSeconds(10));
        for (String v : values) p.send(new ProducerRecord<>(topic, 0, null, v));
        p.flush();
        return c;
    }

    /** Polls (accepting warm-up records) until a record with this value arrives. */
    static ConsumerRecord<String, String> pollFor(KafkaShareConsumer<String, String> c, String value,
            Map<String, ConsumerRecord<String, String>> others) {
        long deadline = System.currentTimeMillis() + 30000;
        while (System.currentTimeMillis() < deadline) {
            ConsumerRecord<String, String> found = null;
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) {
                if (r.value().equals(value)) {
                    found = r;
                } else if (r.value().startsWith(WARM)) {
                    c.acknowledge(r, AcknowledgeType.ACCEPT);
                } else {
                    others.put(r.value(), r);
                }
            }
            if (found != null) return found;
        }
        throw new AssertionError("record " + value + " never delivered");
    }

    /** A released record comes back with a higher delivery count; an accepted one does not. */
    static void releaseRedelivers(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        KafkaShareConsumer<String, String> c = warmConsumer(e, topic, "a", "b");
        Map<String, ConsumerRecord<String, String>> others = new HashMap<>();
        ConsumerRecord<String, String> a1 = pollFor(c, "a", others);
        ConsumerRecord<String, String> b = others.containsKey("b") ? others.remove("b") : pollFor(c, "b", others);
        checkEq(Optional.of((short) 1), a1.deliveryCount(), "delivery count of the first delivery");
        c.acknowledge(a1, AcknowledgeType.RELEASE);
        c.acknowledge(b, AcknowledgeType.ACCEPT);
        c.commitSync(Duration.ofSeconds(10));
        ConsumerRecord<String, String> a2 = pollFor(c, "a", others);
        checkEq(Optional.of((short) 2), a2.deliveryCount(), "delivery count of the redelivery");
        checkEq(a1.offset(), a2.offset(), "offset of the redelivered record");
        c.acknowledge(a2, AcknowledgeType.ACCEPT);
        c.commitSync(Duration.ofSeconds(10));
        check(!others.containsKey("b"), "the accepted record b was delivered again");
    }

    /** A rejected record is never delivered again; what follows it is. */
    static void rejectNotRedelivered(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        KafkaShareConsumer<String, String> c = warmConsumer(e, topic, "poison");
        Map<String, ConsumerRecord<String, String>> others = new HashMap<>();
        ConsumerRecord<String, String> poison = pollFor(c, "poison", others);
        c.acknowledge(poison, AcknowledgeType.REJECT);
        c.commitSync(Duration.ofSeconds(10));
        KafkaProducer<String, String> p = e.producer();
        p.send(new ProducerRecord<>(topic, 0, null, "after"));
        p.flush();
        ConsumerRecord<String, String> after = pollFor(c, "after", others);
        c.acknowledge(after, AcknowledgeType.ACCEPT);
        c.commitSync(Duration.ofSeconds(10));
        long until = System.currentTimeMillis() + 1500;
        while (System.currentTimeMillis() < until) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) others.put(r.value(), r);
        }
        check(!others.containsKey("poison"), "the rejected record was delivered again");
    }

    /** ListGroups shows the share group with type SHARE; describeShareGroups shows its member. */
    static void listDescribe(Env e) throws Exception {
        String topic = e.createTopic("t", 2);
        String group = e.name("g");
        KafkaShareConsumer<String, String> c = e.track(consumer(e, group, false));
        c.subscribe(List.of(topic));
        Env.eventually(30000, () -> {
            c.poll(Duration.ofMillis(100));
            try {
                ShareGroupDescription d = e.admin().describeShareGroups(List.of(group)).all().get().get(group);
                return d.groupState() == GroupState.STABLE && d.members().size() == 1
                        && d.members().iterator().next().assignment().topicPartitions().size() == 2;
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "the share group never showed one member with both partitions");
        ShareGroupDescription described = e.admin().describeShareGroups(List.of(group)).all().get().get(group);
        checkEq("/127.0.0.1", described.members().iterator().next().host(),
                "member host (the address of its heartbeat connection)");
        Collection<GroupListing> listed = e.admin().listGroups(new ListGroupsOptions().withTypes(Set.of(GroupType.SHARE))).all().get();
        Optional<GroupListing> mine = listed.stream().filter(g -> g.groupId().equals(group)).findFirst();
        check(mine.isPresent(), "listGroups(share) does not list %s", group);
        checkEq(Optional.of(GroupType.SHARE), mine.get().type(), "listed group type");
        Collection<GroupListing> consumers = e.admin().listGroups(new ListGroupsOptions().withTypes(Set.of(GroupType.CONSUMER, GroupType.CLASSIC))).all().get();
        check(consumers.stream().noneMatch(g -> g.groupId().equals(group)),
                "listGroups(consumer) lists the share group");
    }

    /**
     * A poison record released on every delivery is delivered group.share.delivery.count.limit
     * times (Kafka's default, 5), then archived: never delivered again.
     */
    static void deliveryLimitArchives(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        KafkaShareConsumer<String, String> c = warmConsumer(e, topic, "poison");
        Map<String, ConsumerRecord<String, String>> others = new HashMap<>();
        for (short n = 1; n <= 5; n++) {
            ConsumerRecord<String, String> r = pollFor(c, "poison", others);
            checkEq(Optional.of(n), r.deliveryCount(), "delivery count of delivery " + n);
            c.acknowledge(r, AcknowledgeType.RELEASE);
            c.commitSync(Duration.ofSeconds(10));
        }
        KafkaProducer<String, String> p = e.producer();
        p.send(new ProducerRecord<>(topic, 0, null, "after"));
        p.flush();
        ConsumerRecord<String, String> after = pollFor(c, "after", others);
        c.acknowledge(after, AcknowledgeType.ACCEPT);
        c.commitSync(Duration.ofSeconds(10));
        long until = System.currentTimeMillis() + 1500;
        while (System.currentTimeMillis() < until) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(100))) others.put(r.value(), r);
        }
        check(!others.containsKey("poison"), "the poison record was delivered a 6th time");
    }

    /** Sets share-group configs (GROUP resource) with IncrementalAlterConfigs. */
    static void setGroupConfigs(Env e, String group, String... kv) throws Exception {
        var res = new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.GROUP, group);
        List<org.apache.kafka.clients.admin.AlterConfigOp> ops = new ArrayList<>();
        for (int i = 0; i < kv.length; i += 2) {
            ops.add(new org.apache.kafka.clients.admin.AlterConfigOp(
                    new org.apache.kafka.clients.admin.ConfigEntry(kv[i], kv[i + 1]),
                    org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET));
        }
        e.admin().incrementalAlterConfigs(Map.of(res, ops)).all().get();
        // Kafka applies group configs asynchronously: wait until they are described.
        Env.eventually(30000, () -> {
            try {
                var cfg = e.admin().describeConfigs(List.of(res)).all().get().get(res);
                for (int i = 0; i < kv.length; i += 2) {
                    var entry = cfg.get(kv[i]);
                    if (entry == null || !kv[i + 1].equals(entry.value())) return false;
                }
                return true;
            } catch (Exception ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "group configs of " + group + " never applied");
    }

    /**
     * A worker that acquires records and then stalls (neither acknowledges nor polls again)
     * loses them when the acquisition lock expires: another worker gets them, with delivery
     * count 2. The lock is 15 s (share.record.lock.duration.ms, Kafka's minimum).
     */
    static void stalledWorkerLockExpires(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        String group = e.name("g");
        setGroupConfigs(e, group, "share.auto.offset.reset", "earliest", "share.record.lock.duration.ms", "15000");
        KafkaProducer<String, String> p = e.producer();
        p.send(new ProducerRecord<>(topic, 0, null, "job"));
        p.flush();
        KafkaShareConsumer<String, String> stalled = e.track(consumer(e, group, true));
        stalled.subscribe(List.of(topic));
        Map<String, ConsumerRecord<String, String>> others = new HashMap<>();
        ConsumerRecord<String, String> first = pollFor(stalled, "job", others);
        checkEq(Optional.of((short) 1), first.deliveryCount(), "delivery count of the first delivery");
        long acquiredAt = System.currentTimeMillis();
        KafkaShareConsumer<String, String> other = e.track(consumer(e, group, true));
        other.subscribe(List.of(topic));
        ConsumerRecord<String, String> again = pollForWithin(other, "job", 60000);
        long waited = System.currentTimeMillis() - acquiredAt;
        // At least 2, not exactly 2: against Kafka 4.4 a CI run once saw 3 after 35 s, a further
        // acquisition (a fetch the joining consumer did not hand out) whose lock expired too.
        short count = again.deliveryCount().orElse((short) 0);
        check(count >= 2, "delivery count after the lock expired: %d, expected a redelivery (>= 2)", count);
        check(waited >= 10000, "redelivered after %d ms, before the 15 s lock could expire", waited);
        other.acknowledge(again, AcknowledgeType.ACCEPT);
        other.commitSync(Duration.ofSeconds(10));
    }

    /** Polls until a record with this value arrives, within timeoutMs. */
    static ConsumerRecord<String, String> pollForWithin(KafkaShareConsumer<String, String> c, String value,
            long timeoutMs) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                if (r.value().equals(value)) return r;
            }
        }
        throw new AssertionError("record " + value + " never delivered within " + timeoutMs + " ms");
    }

    /** share.auto.offset.reset=earliest (a GROUP config): records sent before the group existed are delivered. */
    static void earliestByGroupConfig(Env e) throws Exception {
        String topic = e.createTopic("t", 2);
        String group = e.name("g");
        KafkaProducer<String, String> p = e.producer();
        for (int i = 0; i < 10; i++) p.send(new ProducerRecord<>(topic, i % 2, null, "old" + i));
        p.flush();
        setGroupConfigs(e, group, "share.auto.offset.reset", "earliest");
        KafkaShareConsumer<String, String> c = e.track(consumer(e, group, false));
        c.subscribe(List.of(topic));
        Set<String> got = new TreeSet<>();
        long deadline = System.currentTimeMillis() + 30000;
        while (got.size() < 10 && System.currentTimeMillis() < deadline) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r.value());
        }
        checkEq(10, got.size(), "records sent before the group existed, delivered: " + got);
    }

    /**
     * share.isolation.level=read_committed (a GROUP config): the group gets the records of
     * committed transactions and plain records, never those of an aborted transaction, and
     * nothing behind an open transaction until it commits. A read_uncommitted group (the default)
     * on the same topic gets every record, the aborted ones too.
     */
    static void readCommitted(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        String rc = e.name("rc"), ru = e.name("ru");
        setGroupConfigs(e, rc, "share.auto.offset.reset", "earliest", "share.isolation.level", "read_committed");
        setGroupConfigs(e, ru, "share.auto.offset.reset", "earliest");
        KafkaProducer<String, String> tx = e.producer("transactional.id", e.name("tx"));
        KafkaProducer<String, String> plain = e.producer();
        tx.initTransactions();
        String[][] txns = {{"c1", "c2"}, {"a1", "a2"}};
        for (String[] values : txns) {
            tx.beginTransaction();
            for (String v : values) tx.send(new ProducerRecord<>(topic, 0, null, v));
            tx.flush();
            if (values[0].startsWith("c")) tx.commitTransaction();
            else tx.abortTransaction();
        }
        plain.send(new ProducerRecord<>(topic, 0, null, "p1")).get();
        tx.beginTransaction();
        tx.send(new ProducerRecord<>(topic, 0, null, "o1"));
        tx.flush();
        plain.send(new ProducerRecord<>(topic, 0, null, "p2")).get();
        KafkaShareConsumer<String, String> c = e.track(consumer(e, rc, false));
        c.subscribe(List.of(topic));
        List<String> got = new ArrayList<>();
        long until = System.currentTimeMillis() + 30000;
        while (got.size() < 3 && System.currentTimeMillis() < until) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r.value());
        }
        until = System.currentTimeMillis() + 2000; // what is behind the open transaction stays there
        while (System.currentTimeMillis() < until) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r.value());
        }
        checkEq(List.of("c1", "c2", "p1"), got, "read_committed records before the open transaction commits");
        tx.commitTransaction();
        until = System.currentTimeMillis() + 30000;
        while (got.size() < 5 && System.currentTimeMillis() < until) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r.value());
        }
        checkEq(List.of("c1", "c2", "p1", "o1", "p2"), got, "read_committed records after the commit");
        KafkaShareConsumer<String, String> u = e.track(consumer(e, ru, false));
        u.subscribe(List.of(topic));
        List<String> all = new ArrayList<>();
        until = System.currentTimeMillis() + 30000;
        while (all.size() < 7 && System.currentTimeMillis() < until) {
            for (ConsumerRecord<String, String> r : u.poll(Duration.ofMillis(200))) all.add(r.value());
        }
        checkEq(List.of("c1", "c2", "a1", "a2", "p1", "o1", "p2"), all, "read_uncommitted records");
    }

    /**
     * share.auto.offset.reset=by_duration:PT1H (KIP-1106): a new share group starts at the first
     * record of the last hour, skipping older ones; a negative or malformed duration is refused.
     */
    static void resetByDuration(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        String group = e.name("g");
        KafkaProducer<String, String> p = e.producer();
        long now = System.currentTimeMillis();
        for (int i = 0; i < 3; i++) p.send(new ProducerRecord<>(topic, 0, now - 7_200_000L, null, "old" + i));
        for (int i = 0; i < 2; i++) p.send(new ProducerRecord<>(topic, 0, now - 60_000L, null, "new" + i));
        p.flush();
        var res = new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.GROUP, group);
        for (String bad : List.of("by_duration:-PT1H", "by_duration:P1W")) {
            var op = new org.apache.kafka.clients.admin.AlterConfigOp(
                    new org.apache.kafka.clients.admin.ConfigEntry("share.auto.offset.reset", bad),
                    org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET);
            Env.expectError(e.admin().incrementalAlterConfigs(Map.of(res, List.of(op))).all(),
                    org.apache.kafka.common.errors.InvalidConfigurationException.class, "share.auto.offset.reset=" + bad);
        }
        setGroupConfigs(e, group, "share.auto.offset.reset", "by_duration:PT1H");
        KafkaShareConsumer<String, String> c = e.track(consumer(e, group, false));
        c.subscribe(List.of(topic));
        List<String> got = new ArrayList<>();
        long until = System.currentTimeMillis() + 30000;
        while (got.size() < 2 && System.currentTimeMillis() < until) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r.value());
        }
        until = System.currentTimeMillis() + 1000;
        while (System.currentTimeMillis() < until) {
            for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) got.add(r.value());
        }
        checkEq(List.of("new0", "new1"), got, "records of the last hour");
    }

    static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }
}
