package compat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** What one scenario works with: unique names, clients closed when it ends, and assertions. */
final class Env implements AutoCloseable {
    static String bootstrap;
    /** Distinguishes the names of this run from earlier runs against the same broker. */
    static final String RUN = Long.toString(System.currentTimeMillis(), 36);

    final String scenario;
    private final List<AutoCloseable> clients = new ArrayList<>();
    private Admin admin;

    Env(String scenario) {
        this.scenario = scenario;
    }

    /** A topic, group or transactional id name unique to this run and scenario. */
    String name(String what) {
        return "jc-" + RUN + "-" + scenario.replace('.', '-') + "-" + what;
    }

    Admin admin() {
        if (admin == null) {
            Properties p = new Properties();
            p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
            p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
            admin = track(Admin.create(p));
        }
        return admin;
    }

    String createTopic(String what, int partitions, String... configKv) throws Exception {
        String t = name(what);
        Map<String, String> configs = new HashMap<>();
        for (int i = 0; i < configKv.length; i += 2) configs.put(configKv[i], configKv[i + 1]);
        admin().createTopics(List.of(new NewTopic(t, partitions, (short) 1).configs(configs))).all().get();
        // CreateTopics answers once the controller has the topic; wait until the broker serves it
        // (Kafka's own tests do the same), so that the scenario tests what follows, not the race
        eventually(15000, () -> {
            try {
                var d = admin().describeTopics(List.of(t)).allTopicNames().get().get(t);
                return d.partitions().size() == partitions
                        && d.partitions().stream().allMatch(pi -> pi.leader() != null && !pi.leader().isEmpty());
            } catch (InterruptedException | ExecutionException ex) {
                throw new RuntimeException(ex);
            }
        }, () -> "topic " + t + " not served with " + partitions + " partitions 15 s after CreateTopics");
        // and until each partition's leader serves it (Metadata can name a leader a moment before
        // the leader has the partition: Kafka then answers NOT_LEADER_OR_FOLLOWER)
        Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.admin.OffsetSpec> latest = new HashMap<>();
        for (var tp : partitions(t, partitions)) latest.put(tp, org.apache.kafka.clients.admin.OffsetSpec.latest());
        admin().listOffsets(latest).all().get();
        return t;
    }

    KafkaProducer<String, String> producer(Object... kv) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30000);
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        return track(new KafkaProducer<>(p));
    }

    KafkaConsumer<String, String> consumer(Object... kv) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        return track(new KafkaConsumer<>(p));
    }

    <T extends AutoCloseable> T track(T c) {
        synchronized (clients) {
            clients.add(c);
        }
        return c;
    }

    /** Closes a client now (a consumer leaving its group, say) instead of at the end. */
    void closeNow(AutoCloseable c) throws Exception {
        synchronized (clients) {
            clients.remove(c);
        }
        closeQuietly(c, false);
    }

    static List<TopicPartition> partitions(String topic, int n) {
        return IntStream.range(0, n).mapToObj(i -> new TopicPartition(topic, i)).collect(Collectors.toList());
    }

    /**
     * Reads a whole topic from the beginning (assigned, no group) until {@code expected} records
     * arrived, then polls once more so that extra records would show.
     */
    List<ConsumerRecord<String, String>> readAll(String topic, int partitions, String isolation, int expected)
            throws Exception {
        KafkaConsumer<String, String> c = consumer(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        try {
            List<TopicPartition> tps = partitions(topic, partitions);
            c.assign(tps);
            c.seekToBeginning(tps);
            List<ConsumerRecord<String, String>> out = new ArrayList<>();
            long deadline = System.currentTimeMillis() + 30000;
            while (out.size() < expected && System.currentTimeMillis() < deadline) {
                c.poll(Duration.ofMillis(200)).forEach(out::add);
            }
            c.poll(Duration.ofMillis(500)).forEach(out::add);
            return out;
        } finally {
            closeNow(c);
        }
    }

    static void check(boolean cond, String fmt, Object... args) {
        if (!cond) throw new AssertionError(String.format(fmt, args));
    }

    static void checkEq(Object expected, Object actual, String what) {
        if (!java.util.Objects.equals(expected, actual)) {
            throw new AssertionError(what + ": expected " + expected + ", got " + actual);
        }
    }

    /** Waits (bounded) until the condition holds; fails with the message otherwise. */
    static void eventually(long timeoutMs, Supplier<Boolean> cond, Supplier<String> msg) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            try {
                if (cond.get()) return;
            } catch (RuntimeException ignored) {
                // not yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError(msg.get());
    }

    /** The exception a future fails with (unwrapped), or an AssertionError when it succeeds. */
    static Throwable failureOf(org.apache.kafka.common.KafkaFuture<?> f) throws InterruptedException {
        try {
            Object v = f.get();
            throw new AssertionError("expected an error, got success: " + v);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    static void expectError(org.apache.kafka.common.KafkaFuture<?> f, Class<? extends Throwable> type, String what)
            throws InterruptedException {
        Throwable t = failureOf(f);
        check(type.isInstance(t), "%s: expected %s, got %s", what, type.getSimpleName(), t);
    }

    /** True when t or one of its causes is of the given type. */
    static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) return true;
        }
        return false;
    }

    static <T> Set<T> setOf(Collection<T> c) {
        return new java.util.HashSet<>(c);
    }

    static List<String> values(List<ConsumerRecord<String, String>> recs) {
        return recs.stream().map(ConsumerRecord::value).collect(Collectors.toList());
    }

    static List<String> sorted(Collection<String> c) {
        List<String> l = new ArrayList<>(c);
        java.util.Collections.sort(l);
        return l;
    }

    static List<String> list(String... s) {
        return Arrays.asList(s);
    }

    private static void closeQuietly(AutoCloseable c, boolean quiet) throws Exception {
        try {
            if (c instanceof KafkaProducer<?, ?> p) {
                p.close(Duration.ofSeconds(5));
            } else if (c instanceof KafkaConsumer<?, ?> k) {
                k.close(Duration.ofSeconds(10));
            } else if (c instanceof org.apache.kafka.clients.consumer.KafkaShareConsumer<?, ?> s) {
                s.close(Duration.ofSeconds(10));
            } else if (c instanceof Admin a) {
                a.close(Duration.ofSeconds(5));
            } else {
                c.close();
            }
        } catch (Exception e) {
            if (!quiet) throw e;
        }
    }

    @Override
    public void close() {
        List<AutoCloseable> cs;
        synchronized (clients) {
            cs = new ArrayList<>(clients);
            clients.clear();
        }
        java.util.Collections.reverse(cs);
        for (AutoCloseable c : cs) {
            try {
                closeQuietly(c, true);
            } catch (Exception ignored) {
                // already failed or passed
            }
        }
    }
}
