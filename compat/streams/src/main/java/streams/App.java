package streams;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Joined;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;

/**
 * The application every scenario runs, in this JVM or in child JVMs ({@link Worker}):
 *
 * <pre>
 *   customers (KTable, store "customers")          orders (KStream, key = customer)
 *                     \                              /
 *                      join: "id,region,amount,tier" --------------------> enriched
 *                      |                          |
 *        groupBy(region) "by-region"     groupBy(region) "by-region-window"
 *                      |                          |
 *        count "region-counts" --> counts    10 s tumbling windows, sum of amounts
 *                                            "region-window-sums" --> windowed ("region@start")
 * </pre>
 *
 * Internal topics: APP-customers-changelog, APP-region-counts-changelog,
 * APP-region-window-sums-changelog, APP-by-region-repartition, APP-by-region-window-repartition.
 */
final class App {
    private App() {}

    static final Duration WINDOW = Duration.ofSeconds(10);
    /** Far larger than the spread of the input's timestamps: no record is late, results are exact. */
    static final Duration GRACE = Duration.ofHours(1);
    static final String[] INTERNAL = {
        "customers-changelog", "region-counts-changelog", "region-window-sums-changelog",
        "by-region-repartition", "by-region-window-repartition"};

    /** Topic names of one application run; all of them are unique to the scenario and run. */
    record Topics(String orders, String customers, String enriched, String counts, String windowed) {
        static Topics of(String prefix) {
            return new Topics(prefix + "orders", prefix + "customers", prefix + "enriched", prefix + "counts",
                    prefix + "windowed");
        }

        String[] args() {
            return new String[] {orders, customers, enriched, counts, windowed};
        }

        static Topics fromArgs(String[] a, int i) {
            return new Topics(a[i], a[i + 1], a[i + 2], a[i + 3], a[i + 4]);
        }
    }

    static Topology topology(Topics t) {
        Serde<String> s = Serdes.String();
        StreamsBuilder b = new StreamsBuilder();
        KTable<String, String> customers = b.table(t.customers(), Consumed.with(s, s),
                Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("customers"));
        KStream<String, String> orders = b.stream(t.orders(), Consumed.with(s, s));
        KStream<String, String> enriched =
                orders.join(customers, (order, tier) -> order + "," + tier, Joined.with(s, s, s));
        enriched.to(t.enriched(), Produced.with(s, s));

        enriched.groupBy((customer, v) -> Data.field(v, 1), Grouped.with("by-region", s, s))
                .count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>as("region-counts"))
                .toStream()
                .mapValues(String::valueOf)
                .to(t.counts(), Produced.with(s, s));

        enriched.groupBy((customer, v) -> Data.field(v, 1), Grouped.with("by-region-window", s, s))
                .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW, GRACE))
                .aggregate(() -> 0L, (region, v, sum) -> sum + Long.parseLong(Data.field(v, 2)),
                        Materialized.<String, Long, WindowStore<Bytes, byte[]>>as("region-window-sums")
                                .withValueSerde(Serdes.Long()))
                .toStream((wk, sum) -> wk.key() + "@" + wk.window().start())
                .mapValues(String::valueOf)
                .to(t.windowed(), Produced.with(s, s));
        return b.build();
    }

    /**
     * {@code persistent}: RocksDB stores, whose state directory keeps the instance's process id
     * across restarts (so a restarted instance has the same transactional.id); otherwise in-memory
     * stores (no RocksDB start-up cost; a new process id, so a new transactional.id, on restart).
     */
    static Properties props(String bootstrap, String appId, String guarantee, Path stateDir, boolean persistent) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, appId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        // DeleteRecords on the repartition topics after (nearly) every commit
        p.put(StreamsConfig.REPARTITION_PURGE_INTERVAL_MS_CONFIG, 200);
        p.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, persistent
                ? BuiltInDslStoreSuppliers.RocksDBDslStoreSuppliers.class
                : BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        // a killed instance leaves the group after 6 s (the broker's group.min.session.timeout.ms)
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 6000);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG), 1000);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG), 30000);
        p.put(StreamsConfig.REQUEST_TIMEOUT_MS_CONFIG, 15000);
        // records reach the broker as they are processed (Streams' default linger is 100 ms, so
        // under exactly_once_v2 they would mostly arrive just before the commit): a transaction is
        // open on the broker most of the time, and a killed instance leaves one behind
        p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), 0);
        return p;
    }
}
