package streams;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/** What one scenario works with: unique names, clients and instances closed when it ends, checks. */
final class Env implements AutoCloseable {
    static String bootstrap;
    /** Distinguishes the names of this run from earlier runs against the same broker. */
    static final String RUN = Long.toString(System.currentTimeMillis(), 36);
    /** compat/streams/target: state directories and logs. */
    static final Path WORK = Path.of(System.getProperty("streams.work", "target"));
    static final int PARTITIONS = 4;

    final String scenario;
    private final List<AutoCloseable> closeables = new ArrayList<>();
    private Admin admin;

    Env(String scenario) {
        this.scenario = scenario;
    }

    /** Adds a remark to the scenario's result line. */
    void note(String remark) {
        Main.NOTES.merge(scenario, remark, (a, b) -> a + "; " + b);
    }

    /** A topic or application id unique to this run and scenario. */
    String name(String what) {
        return "ks-" + RUN + "-" + scenario.replace('.', '-') + "-" + what;
    }

    Path stateDir(String instance) throws Exception {
        return Files.createDirectories(WORK.resolve("state").resolve(RUN).resolve(scenario).resolve(instance));
    }

    Path log(String instance) throws Exception {
        return Files.createDirectories(WORK.resolve("logs")).resolve("worker-" + RUN + "-" + scenario + "-" + instance + ".log");
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

    /** The application's input and output topics, 4 partitions each, served before it returns. */
    App.Topics createTopics() throws Exception {
        App.Topics t = App.Topics.of(name(""));
        List<NewTopic> nts = new ArrayList<>();
        for (String n : t.args()) nts.add(new NewTopic(n, PARTITIONS, (short) 1));
        admin().createTopics(nts).all().get();
        for (String n : t.args()) {
            // Metadata can name a leader a moment before it serves the partition: wait for ListOffsets
            eventually(15000, () -> {
                try {
                    return endOffsets(n).size() == PARTITIONS;
                } catch (Exception ex) {
                    throw new RuntimeException(ex);
                }
            }, () -> "topic " + n + " not served with " + PARTITIONS + " partitions 15 s after CreateTopics");
        }
        return t;
    }

    Map<TopicPartition, Long> offsets(String topic, OffsetSpec spec) throws Exception {
        Map<TopicPartition, OffsetSpec> q = new HashMap<>();
        for (TopicPartition tp : partitions(topic)) q.put(tp, spec);
        return admin().listOffsets(q).all().get().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, en -> en.getValue().offset()));
    }

    Map<TopicPartition, Long> endOffsets(String topic) throws Exception {
        return offsets(topic, OffsetSpec.latest());
    }

    Map<TopicPartition, Long> startOffsets(String topic) throws Exception {
        return offsets(topic, OffsetSpec.earliest());
    }

    /** Records of open transactions: high watermark minus last stable offset, summed over the partitions. */
    long unstable(String topic, java.util.Collection<Integer> parts) throws Exception {
        Map<TopicPartition, OffsetSpec> q = new HashMap<>();
        for (int p : parts) q.put(new TopicPartition(topic, p), OffsetSpec.latest());
        // the last stable offset asked first: were it asked second, it could pass the high watermark asked first
        var lso = admin().listOffsets(q, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
        var hw = admin().listOffsets(q, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all().get();
        return q.keySet().stream().mapToLong(tp -> hw.get(tp).offset() - lso.get(tp).offset()).sum();
    }

    KafkaProducer<String, String> producer() {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30000);
        return track(new KafkaProducer<>(p));
    }

    KafkaConsumer<String, String> consumer(String isolation) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
        p.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30000);
        p.put(ConsumerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        return track(new KafkaConsumer<>(p));
    }

    /** Writes the customers table: customer c has tier(c), timestamped before every order. */
    void produceCustomers(App.Topics t, Data d) throws Exception {
        KafkaProducer<String, String> p = producer();
        for (int c = 0; c < Data.CUSTOMERS; c++) {
            p.send(new ProducerRecord<>(t.customers(), null, d.customerTimestamp(), Data.customer(c), Data.tier(c)));
        }
        p.flush();
    }

    /** Writes orders [from, to) and waits for their acks. */
    void produceOrders(App.Topics t, Data d, int from, int to) throws Exception {
        KafkaProducer<String, String> p = producer();
        List<java.util.concurrent.Future<?>> fs = new ArrayList<>();
        for (int i = from; i < to; i++) {
            fs.add(p.send(new ProducerRecord<>(t.orders(), null, d.timestamp(i), d.orderKey(i), d.orderValue(i))));
        }
        for (var f : fs) f.get();
    }

    /** A KafkaStreams instance of {@link App} in this JVM (not started); extra configs as key, value, ... */
    KafkaStreams streams(App.Topics t, String appId, String guarantee, String instance, Object... kv) throws Exception {
        Properties p = App.props(bootstrap, appId, guarantee, stateDir(instance), false);
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        KafkaStreams ks = new KafkaStreams(App.topology(t), p);
        track(() -> ks.close(Duration.ofSeconds(30)));
        return ks;
    }

    /** A {@link Worker} of {@link App} in a child JVM (started). */
    Instance worker(App.Topics t, String appId, String guarantee, String instance, boolean persistent) throws Exception {
        List<String> args = new ArrayList<>(List.of(bootstrap, appId, guarantee, stateDir(instance).toString(),
                persistent ? "rocksdb" : "memory"));
        args.addAll(List.of(t.args()));
        return track(new Instance(instance, log(instance), args.toArray(String[]::new)));
    }

    <T extends AutoCloseable> T track(T c) {
        synchronized (closeables) {
            closeables.add(c);
        }
        return c;
    }

    static List<TopicPartition> partitions(String topic) {
        return IntStream.range(0, PARTITIONS).mapToObj(i -> new TopicPartition(topic, i)).collect(Collectors.toList());
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

    @Override
    public void close() {
        List<AutoCloseable> cs;
        synchronized (closeables) {
            cs = new ArrayList<>(closeables);
            closeables.clear();
        }
        java.util.Collections.reverse(cs);
        for (AutoCloseable c : cs) {
            try {
                if (c instanceof KafkaConsumer<?, ?> k) k.close(Duration.ofSeconds(5));
                else if (c instanceof KafkaProducer<?, ?> p) p.close(Duration.ofSeconds(5));
                else if (c instanceof Admin a) a.close(Duration.ofSeconds(5));
                else c.close();
            } catch (Exception ignored) {
                // already failed or passed
            }
        }
    }
}
