package compat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs every scenario against one broker and prints one line per scenario:
 * {@code ok: NAME}, {@code FAIL: NAME: reason} or {@code known: NAME: reason} (a scenario listed in
 * the known-failures file that failed). Exits 1 when any scenario failed and is not listed.
 *
 * <pre>java -cp ... compat.Main BOOTSTRAP [--known FILE] [NAME-PREFIX...]</pre>
 */
public final class Main {
    /** How long one scenario may take before it counts as failed. */
    static final long SCENARIO_TIMEOUT_S = Long.getLong("compat.scenario.timeout.s", 120);

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: compat.Main BOOTSTRAP [--known FILE] [NAME-PREFIX...]");
            System.exit(2);
        }
        Env.bootstrap = args[0];
        Map<String, String> known = new LinkedHashMap<>();
        List<String> only = new ArrayList<>();
        for (int i = 1; i < args.length; i++) {
            if (args[i].equals("--known")) {
                known = readKnown(Path.of(args[++i]));
            } else {
                only.add(args[i]);
            }
        }

        Map<String, Scenario> all = new LinkedHashMap<>();
        ProducerScenarios.register(all);
        ConsumerScenarios.register(all);
        AdminScenarios.register(all);
        TxnScenarios.register(all);
        // KafkaShareConsumer is GA from kafka-clients 4.2 (KIP-932); older clients speak the
        // early-access versions of the share APIs, and Kalfka serves those of 4.2 and later.
        if (clientAtLeast(4, 2)) {
            ShareScenarios.register(all);
        } else {
            System.out.println("note: share.* scenarios need kafka-clients 4.2+, this run uses "
                    + clientVersion());
        }
        for (String name : known.keySet()) {
            if (!all.containsKey(name)) {
                System.out.println("FAIL: known-failures: lists " + name + ", which is no scenario");
                System.exit(1);
            }
        }

        // A broker that does not answer fails the run at once instead of every scenario timing out.
        String pre = runOne("preflight", env -> {
            var nodes = env.admin().describeCluster().nodes().get(30, TimeUnit.SECONDS);
            Env.check(!nodes.isEmpty(), "describeCluster lists no broker");
        });
        if (pre != null) {
            System.out.println("FAIL: preflight: the broker at " + Env.bootstrap + " does not answer: " + pre);
            System.out.flush();
            Runtime.getRuntime().halt(1);
        }

        int ok = 0, failed = 0, knownFailed = 0;
        for (Map.Entry<String, Scenario> e : all.entrySet()) {
            String name = e.getKey();
            if (!only.isEmpty() && only.stream().noneMatch(name::startsWith)) continue;
            long t0 = System.nanoTime();
            String failure = runOne(name, e.getValue());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            if (failure == null) {
                ok++;
                String note = known.containsKey(name) ? " (listed in KNOWN_FAILURES but passed: remove it)" : "";
                System.out.println("ok: " + name + note + "  [" + ms + " ms]");
            } else if (known.containsKey(name)) {
                knownFailed++;
                System.out.println("known: " + name + ": " + failure + "  [" + ms + " ms]");
            } else {
                failed++;
                System.out.println("FAIL: " + name + ": " + failure + "  [" + ms + " ms]");
            }
            System.out.flush();
        }
        System.out.println("summary: " + ok + " ok, " + failed + " failed, " + knownFailed + " known");
        System.out.flush();
        // Client threads of a timed-out scenario may still run: do not wait for them.
        Runtime.getRuntime().halt(failed == 0 ? 0 : 1);
    }

    /** Runs one scenario on its own daemon thread; returns null when it passed, else the reason. */
    static String runOne(String name, Scenario s) {
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "scenario-" + name);
            t.setDaemon(true);
            return t;
        });
        try {
            Future<?> f = ex.submit(() -> {
                try (Env env = new Env(name)) {
                    s.run(env);
                }
                return null;
            });
            f.get(SCENARIO_TIMEOUT_S, TimeUnit.SECONDS);
            return null;
        } catch (TimeoutException te) {
            return "timed out after " + SCENARIO_TIMEOUT_S + " s";
        } catch (java.util.concurrent.ExecutionException ee) {
            return describe(ee.getCause());
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return "interrupted";
        } finally {
            ex.shutdownNow();
        }
    }

    static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder();
        Throwable c = t;
        int depth = 0;
        while (c != null && depth++ < 4) {
            if (sb.length() > 0) sb.append(" <- caused by ");
            sb.append(c instanceof AssertionError ? "" : c.getClass().getName() + ": ");
            sb.append(String.valueOf(c.getMessage()).replace('\n', ' '));
            if (c.getCause() == c) break;
            c = c.getCause();
        }
        if (!(t instanceof AssertionError)) {
            for (StackTraceElement el : t.getStackTrace()) {
                if (el.getClassName().startsWith("compat.")) {
                    sb.append(" (at ").append(el.getFileName()).append(':').append(el.getLineNumber()).append(')');
                    break;
                }
            }
        }
        return sb.toString();
    }

    /** Lines "NAME reason...", blank lines and # comments ignored; a name without a reason is refused. */
    static Map<String, String> readKnown(Path p) throws Exception {
        Map<String, String> m = new LinkedHashMap<>();
        if (!Files.exists(p)) return m;
        for (String line : Files.readAllLines(p)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) continue;
            String[] parts = l.split("\\s+", 2);
            if (parts.length < 2 || parts[1].isBlank()) {
                throw new IllegalArgumentException(p + ": " + parts[0] + " has no reason");
            }
            m.put(parts[0], parts[1]);
        }
        return m;
    }

    /** The version of kafka-clients on the classpath, from the properties file in its jar. */
    static String clientVersion() {
        var props = new java.util.Properties();
        try (var in = Main.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            if (in != null) {
                props.load(in);
            }
        } catch (java.io.IOException e) {
            // unknown: treated as new enough
        }
        return props.getProperty("version", "unknown");
    }

    /** Whether the kafka-clients on the classpath is at least major.minor. */
    static boolean clientAtLeast(int major, int minor) {
        String[] v = clientVersion().split("[.-]");
        try {
            int ma = Integer.parseInt(v[0]);
            int mi = v.length > 1 ? Integer.parseInt(v[1]) : 0;
            return ma > major || (ma == major && mi >= minor);
        } catch (NumberFormatException e) {
            return true;
        }
    }
}
