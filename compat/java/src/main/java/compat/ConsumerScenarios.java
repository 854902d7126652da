package compat;

import static compat.Env.check;
import static compat.Env.checkEq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

final class ConsumerScenarios {
    private ConsumerScenarios() {}

    static void register(Map<String, Scenario> s) {
        s.put("consumer.classic-range", e -> twoMembers(e, ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, RangeAssignor.class.getName()));
        s.put("consumer.classic-cooperative-sticky", e -> twoMembers(e, ConsumerConfig.GROUP_PROTOCOL_CONFIG,
                "classic", ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
                CooperativeStickyAssignor.class.getName()));
        s.put("consumer.kip848-consumer-protocol", e -> twoMembers(e, ConsumerConfig.GROUP_PROTOCOL_CONFIG,
                "consumer"));
        s.put("consumer.static-membership", ConsumerScenarios::staticMembership);
        s.put("consumer.seek", ConsumerScenarios::seek);
        s.put("consumer.offsets-for-times", ConsumerScenarios::offsetsForTimes);
        s.put("consumer.pause-resume", ConsumerScenarios::pauseResume);
        s.put("consumer.read-committed", ConsumerScenarios::readCommitted);
        s.put("consumer.pattern-subscription-classic", e -> patternSubscription(e, "classic"));
        s.put("consumer.kip848-regex-subscription", e -> patternSubscription(e, "consumer"));
        s.put("consumer.close-prompt", ConsumerScenarios::closePrompt);
        s.put("consumer.offset-out-of-range", ConsumerScenarios::offsetOutOfRange);
        s.put("consumer.max-poll-interval-exceeded", ConsumerScenarios::pollIntervalExceeded);
    }

    /** Sends count records to each partition; values "p{partition}-{n}" with n from start on. */
    static void fill(Env e, String topic, int partitions, int start, int count) throws Exception {
        KafkaProducer<String, String> p = e.producer();
        for (int part = 0; part < partitions; part++) {
            for (int i = start; i < start + count; i++) {
                p.send(new ProducerRecord<>(topic, part, null, "p" + part + "-" + i));
            }
        }
        p.flush();
        e.closeNow(p);
    }

    /** Polls each consumer in turn, collecting what each one read, until the condition holds. */
    static void pollUntil(List<KafkaConsumer<String, String>> cs, List<List<ConsumerRecord<String, String>>> into,
            long timeoutMs, java.util.function.BooleanSupplier done, java.util.function.Supplier<String> why) {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            for (int i = 0; i < cs.size(); i++) {
                for (ConsumerRecord<String, String> r : cs.get(i).poll(Duration.ofMillis(100))) into.get(i).add(r);
            }
            if (done.getAsBoolean()) return;
        }
        throw new AssertionError(why.get());
    }

    static Set<TopicPartition> union(KafkaConsumer<?, ?> a, KafkaConsumer<?, ?> b) {
        Set<TopicPartition> u = new HashSet<>(a.assignment());
        u.addAll(b.assignment());
        return u;
    }

    /**
     * Two members of one group share a 4-partition topic: the assignments are disjoint and cover
     * the topic, every record is read, offsets are committed; then one member leaves and the other
     * takes its partitions over, resuming from the committed offsets (nothing read twice).
     */
    static void twoMembers(Env e, Object... groupKv) throws Exception {
        String topic = e.createTopic("t", 4);
        String group = e.name("g");
        fill(e, topic, 4, 0, 10);
        List<Object> kv = new ArrayList<>(List.of(groupKv));
        kv.addAll(List.of(ConsumerConfig.GROUP_ID_CONFIG, group));
        KafkaConsumer<String, String> c1 = e.consumer(kv.toArray());
        KafkaConsumer<String, String> c2 = e.consumer(kv.toArray());
        c1.subscribe(List.of(topic));
        c2.subscribe(List.of(topic));
        List<List<ConsumerRecord<String, String>>> got = List.of(new ArrayList<>(), new ArrayList<>());
        Set<TopicPartition> all = new HashSet<>(Env.partitions(topic, 4));
        pollUntil(List.of(c1, c2), got, 60000,
                () -> !c1.assignment().isEmpty() && !c2.assignment().isEmpty()
                        && union(c1, c2).equals(all)
                        && c1.assignment().size() + c2.assignment().size() == 4,
                () -> "assignments never became disjoint and complete: c1=" + c1.assignment() + " c2="
                        + c2.assignment());
        // Every record is read by the member that owns its partition (in the end).
        pollUntil(List.of(c1, c2), got, 30000,
                () -> positionsAt(c1, 10) && positionsAt(c2, 10),
                () -> "members did not reach offset 10 on their partitions: c1=" + positions(c1) + " c2="
                        + positions(c2));
        checkEq(2, c1.assignment().size(), "partitions of the first member (4 partitions, 2 members)");
        Set<String> seen = new TreeSet<>();
        for (List<ConsumerRecord<String, String>> l : got) l.forEach(r -> seen.add(r.value()));
        checkEq(40, seen.size(), "distinct records read by the group");
        c1.commitSync();
        c2.commitSync();
        Set<TopicPartition> c2Had = new HashSet<>(c2.assignment());
        for (TopicPartition tp : all) {
            KafkaConsumer<String, String> owner = c1.assignment().contains(tp) ? c1 : c2;
            OffsetAndMetadata om = owner.committed(Set.of(tp)).get(tp);
            check(om != null && om.offset() == 10, "committed offset of %s: expected 10, got %s", tp, om);
        }

        e.closeNow(c2); // leaves the group
        fill(e, topic, 4, 10, 2);
        List<List<ConsumerRecord<String, String>>> after = List.of(new ArrayList<>());
        pollUntil(List.of(c1), after, 60000,
                () -> c1.assignment().equals(all) && after.get(0).stream().map(ConsumerRecord::value)
                        .distinct().count() >= 8,
                () -> "the remaining member did not take over: assignment=" + c1.assignment() + " read="
                        + after.get(0).size() + " records");
        // An eager rebalance (range) revokes every partition: records read but not committed before it
        // are read again (at least once); nothing before the committed offsets is.
        Set<String> values = new TreeSet<>();
        for (ConsumerRecord<String, String> r : after.get(0)) {
            check(r.offset() >= 10, "after the takeover %s was read again at offset %d (committed was 10)",
                    r.value(), r.offset());
            values.add(r.value());
        }
        checkEq(Env.sorted(List.of("p0-10", "p0-11", "p1-10", "p1-11", "p2-10", "p2-11", "p3-10", "p3-11")),
                Env.sorted(values), "records read after the takeover");
        check(!c2Had.isEmpty(), "the leaving member had partitions");
        c1.commitSync();
        for (TopicPartition tp : all) {
            OffsetAndMetadata om = c1.committed(Set.of(tp)).get(tp);
            check(om != null && om.offset() == 12, "committed offset of %s after takeover: %s", tp, om);
        }
    }

    static boolean positionsAt(KafkaConsumer<?, ?> c, long off) {
        for (TopicPartition tp : c.assignment()) if (c.position(tp) < off) return false;
        return true;
    }

    static Map<TopicPartition, Long> positions(KafkaConsumer<?, ?> c) {
        Map<TopicPartition, Long> m = new HashMap<>();
        for (TopicPartition tp : c.assignment()) m.put(tp, c.position(tp));
        return m;
    }

    /**
     * Static members (group.instance.id, classic protocol): the second member closes and a new
     * consumer with its instance id comes back within the session timeout: it gets the same
     * partitions, and the group's generation does not change (no rebalance).
     */
    static void staticMembership(Env e) throws Exception {
        String topic = e.createTopic("t", 4);
        String group = e.name("g");
        fill(e, topic, 4, 0, 5);
        Object[] base = {ConsumerConfig.GROUP_ID_CONFIG, group, ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30000};
        KafkaConsumer<String, String> c1 = e.consumer(with(base, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "a"));
        c1.subscribe(List.of(topic));
        List<List<ConsumerRecord<String, String>>> got = List.of(new ArrayList<>(), new ArrayList<>());
        Set<TopicPartition> all = new HashSet<>(Env.partitions(topic, 4));
        pollUntil(List.of(c1), got.subList(0, 1), 30000, () -> c1.assignment().equals(all),
                () -> "the first static member never got all partitions: " + c1.assignment());
        KafkaConsumer<String, String> c2 = e.consumer(with(base, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "b"));
        c2.subscribe(List.of(topic));
        pollUntil(List.of(c1, c2), got, 60000,
                () -> !c2.assignment().isEmpty() && union(c1, c2).equals(all)
                        && c1.assignment().size() + c2.assignment().size() == 4
                        && c1.groupMetadata().generationId() == c2.groupMetadata().generationId(),
                () -> "two static members never shared the topic: c1=" + c1.assignment() + " c2="
                        + c2.assignment());
        int generation = c1.groupMetadata().generationId();
        Set<TopicPartition> c1Had = new HashSet<>(c1.assignment());
        Set<TopicPartition> c2Had = new HashSet<>(c2.assignment());
        String oldMemberId = c2.groupMetadata().memberId();
        e.closeNow(c2); // a static member does not leave the group when it closes

        KafkaConsumer<String, String> c3 = e.consumer(with(base, ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "b"));
        c3.subscribe(List.of(topic));
        List<List<ConsumerRecord<String, String>>> got2 = List.of(new ArrayList<>(), new ArrayList<>());
        pollUntil(List.of(c1, c3), got2, 30000, () -> !c3.assignment().isEmpty(),
                () -> "the returning static member got no partitions");
        // keep both polling a little: a rebalance, if the broker started one, would show now
        long until = System.currentTimeMillis() + 3000;
        while (System.currentTimeMillis() < until) {
            c1.poll(Duration.ofMillis(100));
            c3.poll(Duration.ofMillis(100));
        }
        checkEq(c2Had, c3.assignment(), "partitions of the returning static member");
        checkEq(c1Had, c1.assignment(), "partitions of the member that stayed");
        checkEq(generation, c1.groupMetadata().generationId(), "generation of the member that stayed");
        checkEq(generation, c3.groupMetadata().generationId(), "generation of the returning member");
        check(!c3.groupMetadata().memberId().equals(oldMemberId), "the returning member kept its old member id %s",
                oldMemberId);
        var desc = e.admin().describeConsumerGroups(List.of(group)).all().get().get(group);
        Set<String> instances = new HashSet<>();
        desc.members().forEach(m -> instances.add(m.groupInstanceId().orElse("<none>")));
        checkEq(Set.of("a", "b"), instances, "group instance ids described");
    }

    static Object[] with(Object[] base, Object... more) {
        Object[] out = new Object[base.length + more.length];
        System.arraycopy(base, 0, out, 0, base.length);
        System.arraycopy(more, 0, out, base.length, more.length);
        return out;
    }

    /** seekToBeginning, seek to an offset, seekToEnd: the next record read is the one sought. */
    static void seek(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        fill(e, topic, 1, 0, 20);
        TopicPartition tp = new TopicPartition(topic, 0);
        KafkaConsumer<String, String> c = e.consumer();
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        checkEq(0L, c.position(tp), "position after seekToBeginning");
        checkEq("p0-0", firstRecord(c).value(), "first record after seekToBeginning");
        c.seek(tp, 7);
        ConsumerRecord<String, String> r = firstRecord(c);
        checkEq(7L, r.offset(), "offset read after seek(7)");
        checkEq("p0-7", r.value(), "value read after seek(7)");
        c.seekToEnd(List.of(tp));
        checkEq(20L, c.position(tp), "position after seekToEnd");
        checkEq(0, c.poll(Duration.ofMillis(500)).count(), "records polled at the end");
        fill(e, topic, 1, 20, 1);
        r = firstRecord(c);
        checkEq(20L, r.offset(), "offset of the record produced after seekToEnd");
        checkEq("p0-20", r.value(), "value of the record produced after seekToEnd");
        checkEq(Map.of(tp, 0L), c.beginningOffsets(List.of(tp)), "beginningOffsets");
        checkEq(Map.of(tp, 21L), c.endOffsets(List.of(tp)), "endOffsets");
    }

    static ConsumerRecord<String, String> firstRecord(KafkaConsumer<String, String> c) {
        long deadline = System.currentTimeMillis() + 15000;
        while (System.currentTimeMillis() < deadline) {
            var recs = c.poll(Duration.ofMillis(200));
            if (!recs.isEmpty()) return recs.iterator().next();
        }
        throw new AssertionError("no record within 15 s");
    }

    /** offsetsForTimes finds the first record at or after a timestamp; none after the last one. */
    static void offsetsForTimes(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        long base = System.currentTimeMillis() - 600_000;
        KafkaProducer<String, String> p = e.producer();
        for (int i = 0; i < 10; i++) {
            p.send(new ProducerRecord<>(topic, 0, base + i * 1000L, null, "t" + i)).get();
        }
        KafkaConsumer<String, String> c = e.consumer();
        Map<TopicPartition, OffsetAndTimestamp> m = c.offsetsForTimes(Map.of(tp, base + 5500));
        OffsetAndTimestamp ot = m.get(tp);
        check(ot != null, "offsetsForTimes(base+5500) found nothing");
        checkEq(6L, ot.offset(), "offset for base+5500");
        checkEq(base + 6000, ot.timestamp(), "timestamp for base+5500");
        ot = c.offsetsForTimes(Map.of(tp, base)).get(tp);
        checkEq(0L, ot == null ? null : ot.offset(), "offset for the first timestamp");
        ot = c.offsetsForTimes(Map.of(tp, base + 3000)).get(tp);
        checkEq(3L, ot == null ? null : ot.offset(), "offset for an exact timestamp");
        check(c.offsetsForTimes(Map.of(tp, base + 60_000)).get(tp) == null,
                "offsetsForTimes after the last record should find nothing");
        c.assign(List.of(tp));
        c.seek(tp, c.offsetsForTimes(Map.of(tp, base + 8000)).get(tp).offset());
        checkEq("t8", firstRecord(c).value(), "record read from the offset found for base+8000");
    }

    /** A paused partition yields nothing until it is resumed; the others keep flowing. */
    static void pauseResume(Env e) throws Exception {
        String topic = e.createTopic("t", 2);
        fill(e, topic, 2, 0, 10);
        TopicPartition p0 = new TopicPartition(topic, 0), p1 = new TopicPartition(topic, 1);
        KafkaConsumer<String, String> c = e.consumer();
        c.assign(List.of(p0, p1));
        c.pause(List.of(p0));
        checkEq(Set.of(p0), c.paused(), "paused partitions");
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        long deadline = System.currentTimeMillis() + 15000;
        while (got.size() < 10 && System.currentTimeMillis() < deadline) c.poll(Duration.ofMillis(200)).forEach(got::add);
        for (int i = 0; i < 5; i++) c.poll(Duration.ofMillis(100)).forEach(got::add);
        checkEq(10, got.size(), "records read while partition 0 is paused");
        check(got.stream().allMatch(r -> r.partition() == 1), "a paused partition yielded records");
        checkEq(0L, c.position(p0), "position of the paused partition");
        c.resume(List.of(p0));
        checkEq(Set.of(), c.paused(), "paused partitions after resume");
        List<ConsumerRecord<String, String>> more = new ArrayList<>();
        deadline = System.currentTimeMillis() + 15000;
        while (more.size() < 10 && System.currentTimeMillis() < deadline) c.poll(Duration.ofMillis(200)).forEach(more::add);
        checkEq(10, more.size(), "records read after resume");
        for (int i = 0; i < 10; i++) checkEq("p0-" + i, more.get(i).value(), "record " + i + " after resume");
    }

    /**
     * Committed, aborted, committed transactions: read_committed sees the committed records only,
     * read_uncommitted sees all of them; the control records take offsets but are never returned.
     */
    static void readCommitted(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        KafkaProducer<String, String> p = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, e.name("tx"));
        p.initTransactions();
        String[][] txns = {{"c1-a", "c1-b", "c1-c"}, {"ab-a", "ab-b", "ab-c"}, {"c2-a", "c2-b"}};
        for (int t = 0; t < txns.length; t++) {
            p.beginTransaction();
            for (String v : txns[t]) p.send(new ProducerRecord<>(topic, 0, null, v));
            p.flush();
            if (t == 1) p.abortTransaction();
            else p.commitTransaction();
        }
        List<ConsumerRecord<String, String>> committed = e.readAll(topic, 1, "read_committed", 5);
        checkEq(List.of("c1-a", "c1-b", "c1-c", "c2-a", "c2-b"), Env.values(committed), "read_committed values");
        // 3 records + marker, 3 + marker, 2 + marker
        checkEq(List.of(0L, 1L, 2L, 8L, 9L), committed.stream().map(ConsumerRecord::offset).toList(),
                "read_committed offsets");
        List<ConsumerRecord<String, String>> all = e.readAll(topic, 1, "read_uncommitted", 8);
        checkEq(List.of("c1-a", "c1-b", "c1-c", "ab-a", "ab-b", "ab-c", "c2-a", "c2-b"), Env.values(all),
                "read_uncommitted values");
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        TopicPartition tp = new TopicPartition(topic, 0);
        checkEq(Map.of(tp, 11L), c.endOffsets(List.of(tp)), "end offset (last stable offset) for read_committed");
    }

    /**
     * subscribe(Pattern): two topics match, one does not; the member gets every partition of the
     * matching topics and reads their records. With the classic protocol the client resolves the
     * pattern; with group.protocol=consumer the broker does (KIP-848 SubscribedTopicRegex, RE2J).
     */
    static void patternSubscription(Env e, String protocol) throws Exception {
        String a = e.createTopic("in-a", 2), b = e.createTopic("in-b", 1), other = e.createTopic("other", 1);
        fill(e, a, 2, 0, 3);
        fill(e, b, 1, 0, 3);
        fill(e, other, 1, 0, 3);
        String prefix = a.substring(0, a.length() - 1); // ...-in-
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, e.name("g"),
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, protocol, ConsumerConfig.METADATA_MAX_AGE_CONFIG, 1000);
        c.subscribe(java.util.regex.Pattern.compile(java.util.regex.Pattern.quote(prefix) + "[ab]"));
        Set<TopicPartition> want = new HashSet<>(Env.partitions(a, 2));
        want.add(new TopicPartition(b, 0));
        List<List<ConsumerRecord<String, String>>> got = List.of(new ArrayList<>());
        pollUntil(List.of(c), got, 60000, () -> c.assignment().equals(want) && got.get(0).size() >= 9,
                () -> "pattern subscription: assignment " + c.assignment() + ", " + got.get(0).size() + " records");
        Set<String> topics = new TreeSet<>();
        got.get(0).forEach(r -> topics.add(r.topic()));
        checkEq(new TreeSet<>(List.of(a, b)), topics, "topics read through the pattern");
        checkEq(9, got.get(0).size(), "records read through the pattern");
    }

    /**
     * close() of a consumer that has fetched returns promptly: it closes its fetch session with a
     * Fetch that names no partitions (session epoch -1), which Kafka answers at once instead of
     * waiting fetch.max.wait.ms for data.
     */
    static void closePrompt(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        fill(e, topic, 1, 0, 3);
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 3000);
        TopicPartition tp = new TopicPartition(topic, 0);
        c.assign(List.of(tp));
        c.seekToBeginning(List.of(tp));
        int n = 0;
        long deadline = System.currentTimeMillis() + 15000;
        while (n < 3 && System.currentTimeMillis() < deadline) n += c.poll(Duration.ofMillis(200)).count();
        checkEq(3, n, "records read");
        // let the fetch the last poll left in flight expire on the broker (3 s) so that close()
        // waits for nothing but its own requests
        Thread.sleep(3500);
        long t0 = System.nanoTime();
        e.closeNow(c);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        check(ms < 1500, "close() took %d ms (fetch.max.wait.ms=3000; Kafka closes in a few ms)", ms);
    }

    /**
     * A committed offset before the log start (records deleted) with auto.offset.reset=none fails
     * the poll with OffsetOutOfRangeException naming the partition and offset; with earliest the
     * consumer moves to the log start.
     */
    static void offsetOutOfRange(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        fill(e, topic, 1, 0, 10);
        TopicPartition tp = new TopicPartition(topic, 0);
        e.admin().deleteRecords(Map.of(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(6))).all()
                .get();
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        c.assign(List.of(tp));
        c.seek(tp, 2);
        Throwable err = null;
        long deadline = System.currentTimeMillis() + 15000;
        while (err == null && System.currentTimeMillis() < deadline) {
            try {
                var recs = c.poll(Duration.ofMillis(200));
                check(recs.isEmpty(), "read %d records from below the log start", recs.count());
            } catch (org.apache.kafka.clients.consumer.OffsetOutOfRangeException ex) {
                err = ex;
            }
        }
        check(err != null, "no OffsetOutOfRangeException for offset 2 with the log starting at 6");
        checkEq(Map.of(tp, 2L), ((org.apache.kafka.clients.consumer.OffsetOutOfRangeException) err).offsetOutOfRangePartitions(),
                "partitions out of range");
        KafkaConsumer<String, String> c2 = e.consumer(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c2.assign(List.of(tp));
        c2.seek(tp, 2);
        ConsumerRecord<String, String> r = firstRecord(c2);
        checkEq(6L, r.offset(), "offset read after the reset to earliest");
        checkEq("p0-6", r.value(), "value read after the reset to earliest");
    }

    /**
     * A classic member that does not poll within max.poll.interval.ms leaves the group; its next
     * commit fails with CommitFailedException, and its next poll rejoins and reads on.
     */
    static void pollIntervalExceeded(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        fill(e, topic, 1, 0, 5);
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, e.name("g"),
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic", ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 2000,
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 500,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 2);
        c.subscribe(List.of(topic));
        List<List<ConsumerRecord<String, String>>> got = List.of(new ArrayList<>());
        pollUntil(List.of(c), got, 30000, () -> !got.get(0).isEmpty(), () -> "nothing read");
        int generation = c.groupMetadata().generationId();
        Thread.sleep(4000); // past max.poll.interval.ms: the heartbeat thread leaves the group
        Throwable err = null;
        try {
            c.commitSync();
        } catch (org.apache.kafka.clients.consumer.CommitFailedException ex) {
            err = ex;
        }
        check(err != null, "commit after exceeding max.poll.interval.ms succeeded");
        TopicPartition tp0 = new TopicPartition(topic, 0);
        pollUntil(List.of(c), got, 30000, () -> c.groupMetadata().generationId() > generation
                        && c.assignment().contains(tp0) && c.position(tp0) == 5,
                () -> "the member did not rejoin and read on: generation " + c.groupMetadata().generationId()
                        + ", " + got.get(0).size() + " records");
        // nothing was committed before, so the rejoined member read from the beginning again
        Set<String> distinct = new TreeSet<>(Env.values(got.get(0)));
        checkEq(5, distinct.size(), "distinct records read");
        c.commitSync();
        checkEq(5L, c.committed(Set.of(tp0)).get(tp0).offset(), "offset committed after the rejoin");
    }
}
