package streams;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.TreeSet;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;

/**
 * One instance of {@link App} in its own JVM, started by {@link Instance}. It prints a line on
 * stdout for each event ({@code state RUNNING}, {@code tasks 0_0,1_2}, {@code error ...},
 * {@code closed}) and closes the application cleanly when its stdin ends.
 *
 * <pre>java -cp ... streams.Worker BOOTSTRAP APP_ID GUARANTEE STATE_DIR rocksdb|memory ORDERS CUSTOMERS ENRICHED COUNTS WINDOWED</pre>
 *
 * Also prints {@code thread NAME} (APP_ID-PROCESS_ID-StreamThread-1) once running.
 */
public final class Worker {
    public static void main(String[] a) throws Exception {
        App.Topics topics = App.Topics.fromArgs(a, 5);
        KafkaStreams ks = new KafkaStreams(App.topology(topics),
                App.props(a[0], a[1], a[2], Path.of(a[3]), a[4].equals("rocksdb")));
        ks.setStateListener((now, before) -> say("state " + now));
        ks.setUncaughtExceptionHandler(e -> {
            say("error " + Main.describe(e));
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
        Thread stdin = new Thread(() -> {
            try (InputStream in = System.in) {
                while (in.read() >= 0) {
                    // the parent never writes; EOF means "stop"
                }
            } catch (Exception ignored) {
                // treated as EOF
            }
            ks.close(Duration.ofSeconds(30));
            say("closed");
            System.exit(0);
        }, "stdin");
        stdin.setDaemon(true);
        ks.start();
        stdin.start();
        String last = "";
        boolean named = false;
        while (true) {
            Thread.sleep(100);
            TreeSet<String> tasks = new TreeSet<>();
            try {
                ks.metadataForLocalThreads().forEach(t -> t.activeTasks().forEach(m -> tasks.add(m.taskId().toString())));
            } catch (RuntimeException e) {
                continue; // not running now
            }
            if (!named && ks.state() == KafkaStreams.State.RUNNING) {
                ks.metadataForLocalThreads().forEach(t -> say("thread " + t.threadName()));
                named = true;
            }
            String now = String.join(",", tasks);
            if (!now.equals(last)) {
                say("tasks " + now);
                last = now;
            }
        }
    }

    static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
