package compat;

import static compat.Env.check;
import static compat.Env.checkEq;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;

final class TxnScenarios {
    private TxnScenarios() {}

    static void register(Map<String, Scenario> s) {
        s.put("txn.commit-abort-3-partitions", TxnScenarios::commitAbort);
        s.put("txn.consume-transform-produce", TxnScenarios::consumeTransformProduce);
        s.put("txn.zombie-fencing", TxnScenarios::zombieFencing);
        s.put("txn.admin-fenceProducers", TxnScenarios::adminFence);
        s.put("txn.timeout-abort", TxnScenarios::timeoutAbort);
    }

    /** Transactions across 3 partitions: committed ones are seen whole, the aborted one not at all. */
    static void commitAbort(Env e) throws Exception {
        String topic = e.createTopic("t", 3);
        KafkaProducer<String, String> p = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, e.name("tx"));
        p.initTransactions();
        String[] outcome = {"commit", "abort", "commit", "abort", "commit"};
        List<String> want = new ArrayList<>(), all = new ArrayList<>();
        for (int t = 0; t < outcome.length; t++) {
            p.beginTransaction();
            for (int part = 0; part < 3; part++) {
                for (int i = 0; i < 3; i++) {
                    String v = "t" + t + "-" + outcome[t] + "-p" + part + "-" + i;
                    p.send(new ProducerRecord<>(topic, part, null, v));
                    all.add(v);
                    if (outcome[t].equals("commit")) want.add(v);
                }
            }
            // flushed first: an abort drops records still in the producer, and they must reach the log
            p.flush();
            if (outcome[t].equals("commit")) p.commitTransaction();
            else p.abortTransaction();
        }
        List<ConsumerRecord<String, String>> committed = e.readAll(topic, 3, "read_committed", want.size());
        checkEq(want.size(), committed.size(), "records seen by read_committed");
        for (int part = 0; part < 3; part++) {
            String tag = "-p" + part + "-";
            final int pp = part;
            checkEq(want.stream().filter(v -> v.contains(tag)).toList(),
                    Env.values(committed.stream().filter(r -> r.partition() == pp).toList()),
                    "read_committed values of partition " + part);
        }
        List<ConsumerRecord<String, String>> uncommitted = e.readAll(topic, 3, "read_uncommitted", all.size());
        checkEq(Env.sorted(all), Env.sorted(Env.values(uncommitted)), "records seen by read_uncommitted");
    }

    /**
     * Consume-transform-produce: each batch read from the input is written upper-cased to the
     * output, with the group's offsets sent to the transaction. One round is aborted: its output
     * is invisible and its offsets are not committed, so the records are processed again. The
     * output holds each input record exactly once, and the group's offsets end at the input's end.
     */
    static void consumeTransformProduce(Env e) throws Exception {
        String in = e.createTopic("in", 2), out = e.createTopic("out", 2);
        String group = e.name("g");
        ConsumerScenarios.fill(e, in, 2, 0, 10);
        KafkaConsumer<String, String> c = e.consumer(ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed", ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 4);
        KafkaProducer<String, String> p = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, e.name("tx"));
        p.initTransactions();
        c.subscribe(List.of(in));
        int processed = 0, rounds = 0;
        boolean aborted = false;
        long deadline = System.currentTimeMillis() + 60000;
        while (processed < 20 && System.currentTimeMillis() < deadline) {
            ConsumerRecords<String, String> recs = c.poll(Duration.ofMillis(200));
            if (recs.isEmpty()) continue;
            rounds++;
            p.beginTransaction();
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            for (ConsumerRecord<String, String> r : recs) {
                p.send(new ProducerRecord<>(out, r.partition(), null, r.value().toUpperCase()));
                offsets.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
            }
            p.sendOffsetsToTransaction(offsets, c.groupMetadata());
            if (rounds == 2 && !aborted) {
                p.abortTransaction();
                aborted = true;
                // rewind to the committed offsets, as an application does after an abort
                var committed = c.committed(c.assignment());
                for (TopicPartition tp : c.assignment()) {
                    OffsetAndMetadata om = committed.get(tp);
                    c.seek(tp, om == null ? 0 : om.offset());
                }
                continue;
            }
            p.commitTransaction();
            processed += recs.count();
        }
        check(aborted, "no round was aborted");
        checkEq(20, processed, "input records processed");
        List<String> want = new ArrayList<>();
        for (int part = 0; part < 2; part++) for (int i = 0; i < 10; i++) want.add("P" + part + "-" + i);
        List<ConsumerRecord<String, String>> got = e.readAll(out, 2, "read_committed", 20);
        checkEq(Env.sorted(want), Env.sorted(Env.values(got)), "output seen by read_committed (exactly once)");
        for (int part = 0; part < 2; part++) {
            final int pp = part;
            checkEq(want.stream().filter(v -> v.startsWith("P" + pp)).toList(),
                    Env.values(got.stream().filter(r -> r.partition() == pp).toList()), "order in partition " + part);
        }
        var offs = e.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
        for (TopicPartition tp : Env.partitions(in, 2)) {
            checkEq(10L, offs.get(tp) == null ? null : offs.get(tp).offset(), "group offset of " + tp);
        }
    }

    /** A second producer with the same transactional.id fences the first, whose transaction is aborted. */
    static void zombieFencing(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        String id = e.name("tx");
        KafkaProducer<String, String> zombie = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
        zombie.initTransactions();
        zombie.beginTransaction();
        zombie.send(new ProducerRecord<>(topic, 0, null, "zombie")).get();
        KafkaProducer<String, String> fresh = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
        fresh.initTransactions();
        Throwable sendErr = null, commitErr = null;
        try {
            zombie.send(new ProducerRecord<>(topic, 0, null, "zombie-2")).get();
        } catch (Exception ex) {
            sendErr = ex;
        }
        try {
            zombie.commitTransaction();
        } catch (Exception ex) {
            commitErr = ex;
        }
        Throwable abortErr = null;
        try {
            zombie.abortTransaction();
        } catch (Exception ex) {
            abortErr = ex;
        }
        // Kafka 4.4: the zombie's produce fails with INVALID_PRODUCER_EPOCH (an abortable error),
        // commitTransaction rethrows it, and the abort (EndTxn with the old epoch) is fenced.
        check(sendErr != null, "the fenced producer's send succeeded");
        check(Env.causedBy(sendErr, org.apache.kafka.common.errors.InvalidProducerEpochException.class)
                || Env.causedBy(sendErr, ProducerFencedException.class),
                "send of the fenced producer: expected InvalidProducerEpochException, got %s", Main.describe(sendErr));
        check(commitErr != null, "the fenced producer committed");
        check(abortErr != null && Env.causedBy(abortErr, ProducerFencedException.class),
                "abort of the fenced producer: expected ProducerFencedException, got %s",
                abortErr == null ? "success" : Main.describe(abortErr));
        // a zombie whose next step is the commit (EndTxn with the old epoch) is fenced there
        KafkaProducer<String, String> z2 = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id + "-2");
        z2.initTransactions();
        z2.beginTransaction();
        z2.send(new ProducerRecord<>(topic, 0, null, "zombie-3")).get();
        KafkaProducer<String, String> f2 = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id + "-2");
        f2.initTransactions();
        Throwable z2Err = null;
        try {
            z2.commitTransaction();
        } catch (Exception ex) {
            z2Err = ex;
        }
        check(z2Err != null && Env.causedBy(z2Err, ProducerFencedException.class),
                "commit of a fenced producer: expected ProducerFencedException, got %s",
                z2Err == null ? "success" : Main.describe(z2Err));
        fresh.beginTransaction();
        fresh.send(new ProducerRecord<>(topic, 0, null, "fresh")).get();
        fresh.commitTransaction();
        checkEq(List.of("fresh"), Env.values(e.readAll(topic, 1, "read_committed", 1)),
                "read_committed after the fencing");
    }

    /** Admin.fenceProducers fences the producer of a transactional id; its open transaction is aborted. */
    static void adminFence(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        String id = e.name("tx");
        KafkaProducer<String, String> p = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
        p.initTransactions();
        p.beginTransaction();
        p.send(new ProducerRecord<>(topic, 0, null, "fenced")).get();
        e.admin().fenceProducers(List.of(id)).all().get();
        Throwable err = null;
        try {
            p.send(new ProducerRecord<>(topic, 0, null, "fenced-2")).get();
            p.commitTransaction();
        } catch (Exception ex) {
            err = ex;
        }
        check(err != null, "the fenced producer committed");
        check(Env.causedBy(err, ProducerFencedException.class)
                        || Env.causedBy(err, org.apache.kafka.common.errors.InvalidProducerEpochException.class),
                "expected ProducerFencedException, got %s", Main.describe(err));
        checkEq(List.of(), Env.values(e.readAll(topic, 1, "read_committed", 0)), "read_committed after fencing");
        var d = e.admin().describeTransactions(List.of(id)).description(id).get();
        check(d.state() != org.apache.kafka.clients.admin.TransactionState.ONGOING,
                "the fenced transaction is still ongoing");
    }

    /**
     * A transaction left open past transaction.timeout.ms is aborted by the coordinator: the last
     * stable offset moves on, read_committed never sees its records, and the producer's commit fails.
     * (Kafka looks for expired transactions every 10 s: transaction.abort.timed.out.transaction.cleanup.interval.ms.)
     */
    static void timeoutAbort(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        TopicPartition tp = new TopicPartition(topic, 0);
        KafkaProducer<String, String> p = e.producer(ProducerConfig.TRANSACTIONAL_ID_CONFIG, e.name("tx"),
                ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 2000);
        p.initTransactions();
        p.beginTransaction();
        p.send(new ProducerRecord<>(topic, 0, null, "expired")).get();
        KafkaConsumer<String, String> rc = e.consumer(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        checkEq(0L, rc.endOffsets(List.of(tp)).get(tp), "last stable offset with the transaction open");
        Env.eventually(30000, () -> rc.endOffsets(List.of(tp)).get(tp) == 2L,
                () -> "the expired transaction was not aborted within 30 s: last stable offset "
                        + rc.endOffsets(List.of(tp)).get(tp));
        Throwable err = null;
        try {
            p.commitTransaction();
        } catch (Exception ex) {
            err = ex;
        }
        check(err != null, "the commit of a transaction aborted by its timeout succeeded");
        check(Env.causedBy(err, ProducerFencedException.class)
                || Env.causedBy(err, org.apache.kafka.common.errors.InvalidProducerEpochException.class)
                || Env.causedBy(err, org.apache.kafka.common.errors.InvalidTxnStateException.class),
                "commit after the timeout: expected ProducerFencedException/InvalidProducerEpochException, got %s",
                Main.describe(err));
        checkEq(List.of(), Env.values(e.readAll(topic, 1, "read_committed", 0)), "read_committed after the timeout");
        checkEq(List.of("expired"), Env.values(e.readAll(topic, 1, "read_uncommitted", 1)),
                "read_uncommitted after the timeout");
    }
}
