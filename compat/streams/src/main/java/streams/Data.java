package streams;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.common.utils.Utils;
import java.util.TreeMap;

/**
 * The input of one run and the results it must give. Order i: key customer(i % 12), value
 * "o{i},{region},{amount}", timestamp base + i * 100 ms (base a multiple of the window size, ten
 * minutes back). Customers get timestamps before every order, so Streams (which picks the record
 * with the lowest timestamp among a task's partitions) loads the table before joining orders.
 * Customer and region names are picked so that each of the 4 partitions gets as many (the
 * producer's murmur2 partitioner): every task of every sub-topology has work.
 */
final class Data {
    static final int CUSTOMERS = 12;
    static final int REGIONS = 8;
    static final long STEP_MS = 100;
    private static final String[] CUSTOMER_NAMES = balanced("c", CUSTOMERS);
    private static final String[] REGION_NAMES = balanced("r", REGIONS);

    final int n;
    final long base;

    Data(int n) {
        this.n = n;
        long w = App.WINDOW.toMillis();
        this.base = (System.currentTimeMillis() - 600_000) / w * w;
    }

    /** n names prefix+k, n / 4 of them in each partition of a 4-partition topic. */
    private static String[] balanced(String prefix, int n) {
        int[] used = new int[Env.PARTITIONS];
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int k = 0; names.size() < n; k++) {
            String s = prefix + k;
            int p = Utils.toPositive(Utils.murmur2(s.getBytes(StandardCharsets.UTF_8))) % Env.PARTITIONS;
            if (used[p] < n / Env.PARTITIONS) {
                used[p]++;
                names.add(s);
            }
        }
        return names.toArray(String[]::new);
    }

    static String customer(int c) {
        return CUSTOMER_NAMES[c];
    }

    static String tier(int c) {
        return "tier" + (c % 3);
    }

    long customerTimestamp() {
        return base - 60_000;
    }

    String orderKey(int i) {
        return customer(i % CUSTOMERS);
    }

    static String region(int i) {
        return REGION_NAMES[(i / 3 + i / 7) % REGIONS];
    }

    static long amount(int i) {
        return 1 + i % 9;
    }

    long timestamp(int i) {
        return base + i * STEP_MS;
    }

    String orderValue(int i) {
        return "o" + i + "," + region(i) + "," + amount(i);
    }

    /** What the join emits for order i. */
    String enrichedValue(int i) {
        return orderValue(i) + "," + tier(i % CUSTOMERS);
    }

    /** region -> number of orders. */
    Map<String, Long> counts() {
        Map<String, Long> m = new TreeMap<>();
        for (int i = 0; i < n; i++) m.merge(region(i), 1L, Long::sum);
        return m;
    }

    /** "region@windowStart" -> sum of amounts. */
    Map<String, Long> windowSums() {
        Map<String, Long> m = new TreeMap<>();
        long w = App.WINDOW.toMillis();
        for (int i = 0; i < n; i++) {
            long start = timestamp(i) / w * w;
            m.merge(region(i) + "@" + start, amount(i), Long::sum);
        }
        return m;
    }

    /** The id-th comma-separated field of a value. */
    static String field(String v, int idx) {
        return v.split(",")[idx];
    }
}
