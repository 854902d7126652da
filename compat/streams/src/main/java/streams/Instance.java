package streams;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/** A {@link Worker} in a child JVM: started, watched through its stdout, stopped or killed. */
final class Instance implements AutoCloseable {
    /** Every child alive, so that Main can kill them when a scenario times out. */
    static final Set<Process> ALIVE = ConcurrentHashMap.newKeySet();

    final String label;
    private final Process proc;
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;

    Instance(String label, Path log, String... workerArgs) throws Exception {
        this.label = label;
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=" + System.getProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn"),
                "-Dorg.slf4j.simpleLogger.logFile=" + log,
                "-Dorg.slf4j.simpleLogger.showDateTime=true",
                "-cp", System.getProperty("java.class.path"),
                Worker.class.getName()));
        cmd.addAll(List.of(workerArgs));
        proc = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(new File(log + ".stderr"))).start();
        ALIVE.add(proc);
        reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(proc.getInputStream(), StandardCharsets.UTF_8))) {
                for (String l; (l = r.readLine()) != null; ) {
                    synchronized (lines) {
                        lines.add(l);
                        lines.notifyAll();
                    }
                }
            } catch (Exception ignored) {
                // the process died
            }
        }, "stdout-" + label);
        reader.setDaemon(true);
        reader.start();
    }

    /** Waits until a line printed since {@code from} matches; returns its index. */
    int await(int from, Predicate<String> p, long timeoutMs, String what) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (true) {
            // once the process is gone, its last lines are read before the last look
            boolean gone = !proc.isAlive();
            if (gone) reader.join(2000);
            synchronized (lines) {
                for (int i = from; i < lines.size(); i++) {
                    String l = lines.get(i);
                    if (l.startsWith("error ")) throw new AssertionError(label + ": " + l);
                    if (p.test(l)) return i;
                }
                long left = deadline - System.currentTimeMillis();
                if (gone) throw new AssertionError(label + " exited before " + what + "; printed " + lines);
                if (left <= 0) throw new AssertionError(label + ": " + what + " not seen in " + timeoutMs + " ms; printed " + lines);
                lines.wait(Math.min(left, 200));
            }
        }
    }

    /** Waits until the instance runs with at least one active task. */
    void awaitActive(long timeoutMs) throws InterruptedException {
        await(0, l -> l.startsWith("tasks ") && l.length() > "tasks ".length(), timeoutMs, "an active task");
    }

    /** The stream thread's name, APP_ID-PROCESS_ID-StreamThread-1 (its transactional.id is APP_ID-PROCESS_ID-1). */
    String threadName(long timeoutMs) throws InterruptedException {
        int i = await(0, l -> l.startsWith("thread "), timeoutMs, "the thread name");
        synchronized (lines) {
            return lines.get(i).substring("thread ".length());
        }
    }

    /** The first "error ..." line, or null. */
    String error() {
        synchronized (lines) {
            return lines.stream().filter(l -> l.startsWith("error ")).findFirst().orElse(null);
        }
    }

    /** The partitions of sub-topology {@code sub}'s active tasks, from the last "tasks" line. */
    List<Integer> activePartitions(int sub) {
        synchronized (lines) {
            for (int i = lines.size() - 1; i >= 0; i--) {
                String l = lines.get(i);
                if (!l.startsWith("tasks ")) continue;
                List<Integer> ps = new ArrayList<>();
                for (String task : l.substring("tasks ".length()).split(",")) {
                    if (task.startsWith(sub + "_")) ps.add(Integer.parseInt(task.substring(task.indexOf('_') + 1)));
                }
                return ps;
            }
            return List.of();
        }
    }

    /** kill -STOP / kill -CONT: freezes the process (its connections stay open) and thaws it. */
    void signal(String sig) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(proc.pid())).inheritIO().start();
        if (!k.waitFor(5, TimeUnit.SECONDS) || k.exitValue() != 0) throw new AssertionError("kill -" + sig + " " + proc.pid() + " failed");
    }

    /** kill -9. */
    void kill() throws InterruptedException {
        proc.destroyForcibly();
        proc.waitFor(10, TimeUnit.SECONDS);
        ALIVE.remove(proc);
    }

    /** Closes its stdin: the worker closes KafkaStreams cleanly and exits. */
    void stop(long timeoutMs) throws Exception {
        proc.getOutputStream().close();
        if (!proc.waitFor(timeoutMs, TimeUnit.MILLISECONDS)) {
            kill();
            throw new AssertionError(label + " did not stop within " + timeoutMs + " ms of being asked");
        }
        ALIVE.remove(proc);
        await(0, "closed"::equals, 1000, "closed");
    }

    @Override
    public void close() throws InterruptedException {
        if (proc.isAlive()) kill();
    }
}
