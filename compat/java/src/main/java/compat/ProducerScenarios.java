package compat;

import static compat.Env.check;
import static compat.Env.checkEq;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.utils.Utils;

final class ProducerScenarios {
    private ProducerScenarios() {}

    static void register(Map<String, Scenario> s) {
        s.put("producer.acks-0", e -> roundTrip(e, 3, 60, ProducerConfig.ACKS_CONFIG, "0",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false));
        s.put("producer.acks-1", e -> roundTrip(e, 3, 60, ProducerConfig.ACKS_CONFIG, "1",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false));
        s.put("producer.acks-all", e -> roundTrip(e, 3, 60, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false));
        s.put("producer.idempotent", e -> roundTrip(e, 3, 200, ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
                ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5));
        for (String codec : List.of("none", "gzip", "snappy", "lz4", "zstd")) {
            s.put("producer.codec-" + codec, e -> roundTrip(e, 2, 300,
                    ProducerConfig.COMPRESSION_TYPE_CONFIG, codec, ProducerConfig.LINGER_MS_CONFIG, 5));
        }
        s.put("producer.large-record", ProducerScenarios::largeRecord);
        s.put("producer.linger-batching", ProducerScenarios::lingerBatching);
        s.put("producer.key-partitioning", ProducerScenarios::keyPartitioning);
        s.put("producer.record-too-large", ProducerScenarios::recordTooLarge);
    }

    /**
     * Produces {@code n} keyed records with headers (a third of them with a null key) through a
     * producer configured by {@code kv}, then reads the topic back and compares values, keys,
     * headers and the order within each partition; with acks other than 0 the offsets the producer
     * was told must be the offsets the consumer sees.
     */
    static void roundTrip(Env e, int partitions, int n, Object... kv) throws Exception {
        String topic = e.createTopic("t", partitions);
        KafkaProducer<String, String> p = e.producer(kv);
        boolean acks0 = false;
        for (int i = 0; i < kv.length; i += 2) {
            if (kv[i].equals(ProducerConfig.ACKS_CONFIG) && kv[i + 1].equals("0")) acks0 = true;
        }
        List<ProducerRecord<String, String>> sent = new ArrayList<>();
        List<Future<RecordMetadata>> acks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String key = i % 3 == 0 ? null : "key-" + (i % 7);
            // compressible values, different lengths
            String value = "value-" + i + "-" + "x".repeat(i % 50);
            ProducerRecord<String, String> r = new ProducerRecord<>(topic, i % partitions, key, value);
            r.headers().add("seq", Integer.toString(i).getBytes(StandardCharsets.UTF_8));
            if (i % 2 == 0) r.headers().add(new RecordHeader("empty", new byte[0]));
            if (i % 5 == 0) r.headers().add(new RecordHeader("null", (byte[]) null));
            sent.add(r);
            acks.add(p.send(r));
        }
        p.flush();
        Map<Integer, List<Long>> ackedOffsets = new HashMap<>();
        for (Future<RecordMetadata> f : acks) {
            RecordMetadata md = f.get();
            ackedOffsets.computeIfAbsent(md.partition(), k -> new ArrayList<>()).add(md.offset());
        }
        List<ConsumerRecord<String, String>> got = e.readAll(topic, partitions, "read_uncommitted", n);
        checkEq(n, got.size(), "records read back");
        for (int part = 0; part < partitions; part++) {
            final int pp = part;
            List<ProducerRecord<String, String>> want = sent.stream().filter(r -> r.partition() == pp).toList();
            List<ConsumerRecord<String, String>> have = got.stream().filter(r -> r.partition() == pp).toList();
            checkEq(want.size(), have.size(), "records in partition " + part);
            for (int i = 0; i < want.size(); i++) {
                ProducerRecord<String, String> w = want.get(i);
                ConsumerRecord<String, String> h = have.get(i);
                checkEq(w.value(), h.value(), "value #" + i + " of partition " + part);
                checkEq(w.key(), h.key(), "key of " + w.value());
                checkEq(headers(w.headers().toArray()), headers(h.headers().toArray()), "headers of " + w.value());
                checkEq((long) i, h.offset(), "offset of " + w.value());
            }
            if (!acks0) {
                List<Long> offs = ackedOffsets.getOrDefault(part, List.of());
                List<Long> seen = have.stream().map(ConsumerRecord::offset).toList();
                checkEq(seen, offs, "offsets acknowledged to the producer in partition " + part);
            } else {
                // acks=0: the producer learns no offsets
                check(ackedOffsets.getOrDefault(part, List.of()).stream().allMatch(o -> o == -1L),
                        "acks=0 metadata carried offsets %s", ackedOffsets.get(part));
            }
        }
    }

    static List<String> headers(Header[] hs) {
        List<String> out = new ArrayList<>();
        for (Header h : hs) {
            out.add(h.key() + "=" + (h.value() == null ? "<null>" : new String(h.value(), StandardCharsets.UTF_8)));
        }
        return out;
    }

    /** A 900 KB record (uncompressed) is accepted and read back byte for byte. */
    static void largeRecord(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        Random rnd = new Random(13);
        StringBuilder sb = new StringBuilder(900 * 1024);
        for (int i = 0; i < 900 * 1024; i++) sb.append((char) ('a' + rnd.nextInt(26)));
        String big = sb.toString();
        KafkaProducer<String, String> p = e.producer(ProducerConfig.ACKS_CONFIG, "all");
        RecordMetadata md = p.send(new ProducerRecord<>(topic, "big", big)).get();
        RecordMetadata md2 = p.send(new ProducerRecord<>(topic, "small", "after")).get();
        checkEq(0L, md.offset(), "offset of the large record");
        checkEq(1L, md2.offset(), "offset of the record after it");
        List<ConsumerRecord<String, String>> got = e.readAll(topic, 1, "read_uncommitted", 2);
        checkEq(2, got.size(), "records read back");
        check(big.equals(got.get(0).value()), "the large record came back different (length %d)",
                got.get(0).value() == null ? -1 : got.get(0).value().length());
        checkEq("after", got.get(1).value(), "value after the large record");
    }

    /** linger.ms=20: records sent in a burst leave in few requests, and all arrive in order. */
    static void lingerBatching(Env e) throws Exception {
        String topic = e.createTopic("t", 1);
        KafkaProducer<String, String> p = e.producer(ProducerConfig.LINGER_MS_CONFIG, 20,
                ProducerConfig.BATCH_SIZE_CONFIG, 65536);
        int n = 500;
        List<Future<RecordMetadata>> fs = new ArrayList<>();
        for (int i = 0; i < n; i++) fs.add(p.send(new ProducerRecord<>(topic, "v" + i)));
        p.flush();
        for (int i = 0; i < n; i++) checkEq((long) i, fs.get(i).get().offset(), "offset of v" + i);
        double perRequest = metric(p, "records-per-request-avg");
        check(perRequest > 10, "linger.ms=20 should batch a burst of %d records, records-per-request-avg=%s", n,
                perRequest);
        List<ConsumerRecord<String, String>> got = e.readAll(topic, 1, "read_uncommitted", n);
        checkEq(n, got.size(), "records read back");
        for (int i = 0; i < n; i++) checkEq("v" + i, got.get(i).value(), "value at offset " + i);
    }

    static double metric(KafkaProducer<String, String> p, String name) {
        for (Map.Entry<MetricName, ? extends Metric> m : p.metrics().entrySet()) {
            if (m.getKey().name().equals(name) && m.getKey().group().equals("producer-metrics")) {
                return ((Number) m.getValue().metricValue()).doubleValue();
            }
        }
        throw new AssertionError("no producer metric " + name);
    }

    /** The default partitioner sends a key to murmur2(key) % partitions, the same every time. */
    static void keyPartitioning(Env e) throws Exception {
        int partitions = 6;
        String topic = e.createTopic("t", partitions);
        KafkaProducer<String, String> p = e.producer();
        Map<String, Integer> partitionOf = new HashMap<>();
        for (int round = 0; round < 5; round++) {
            for (int k = 0; k < 20; k++) {
                String key = "key-" + k;
                RecordMetadata md = p.send(new ProducerRecord<>(topic, key, key + "/" + round)).get();
                int want = Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
                checkEq(want, md.partition(), "partition of " + key);
                Integer before = partitionOf.putIfAbsent(key, md.partition());
                check(before == null || before == md.partition(), "%s moved from %s to %s", key, before,
                        md.partition());
            }
        }
        List<ConsumerRecord<String, String>> got = e.readAll(topic, partitions, "read_uncommitted", 100);
        checkEq(100, got.size(), "records read back");
        Map<String, Integer> nextRound = new HashMap<>();
        for (ConsumerRecord<String, String> r : got) {
            checkEq(partitionOf.get(r.key()), r.partition(), "partition " + r.key() + " was read from");
            int round = Integer.parseInt(r.value().substring(r.value().indexOf('/') + 1));
            checkEq(nextRound.getOrDefault(r.key(), 0), round, "round of " + r.key() + " (order in its partition)");
            nextRound.put(r.key(), round + 1);
        }
    }

    /**
     * A record larger than the topic's max.message.bytes is refused by the broker
     * (MESSAGE_TOO_LARGE: RecordTooLargeException); the records around it are stored.
     */
    static void recordTooLarge(Env e) throws Exception {
        String topic = e.createTopic("t", 1, "max.message.bytes", "100000");
        KafkaProducer<String, String> p = e.producer(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 4 * 1024 * 1024,
                ProducerConfig.RETRIES_CONFIG, 0, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false,
                ProducerConfig.ACKS_CONFIG, "all");
        checkEq(0L, p.send(new ProducerRecord<>(topic, 0, null, "small-1")).get().offset(), "offset of small-1");
        Throwable err = null;
        try {
            p.send(new ProducerRecord<>(topic, 0, null, "y".repeat(200_000))).get();
        } catch (java.util.concurrent.ExecutionException ex) {
            err = ex.getCause();
        }
        check(err instanceof org.apache.kafka.common.errors.RecordTooLargeException,
                "a 200 KB record on a topic with max.message.bytes=100000: expected RecordTooLargeException, got %s",
                err == null ? "success" : Main.describe(err));
        checkEq(1L, p.send(new ProducerRecord<>(topic, 0, null, "small-2")).get().offset(), "offset of small-2");
        checkEq(List.of("small-1", "small-2"), Env.values(e.readAll(topic, 1, "read_uncommitted", 2)),
                "records stored");
    }
}
