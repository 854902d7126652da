import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Leaves an open transaction behind for the `kafka-transactions.sh` scenarios: a transactional
 * producer writes COUNT records to partition 0 of TOPIC, flushes them, and the JVM halts without
 * committing or aborting (as if the producer had crashed). With a 10-minute transaction timeout
 * the coordinator keeps the transaction Ongoing for the rest of the run.
 *
 *   java -cp KAFKA-TOOLS-CLASSPATH OpenTransaction.java BOOTSTRAP TOPIC TRANSACTIONAL-ID COUNT
 */
public class OpenTransaction {
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.put("bootstrap.servers", args[0]);
        p.put("transactional.id", args[2]);
        p.put("transaction.timeout.ms", "600000");
        p.put("key.serializer", StringSerializer.class.getName());
        p.put("value.serializer", StringSerializer.class.getName());
        KafkaProducer<String, String> producer = new KafkaProducer<>(p);
        producer.initTransactions();
        producer.beginTransaction();
        int n = Integer.parseInt(args[3]);
        for (int i = 0; i < n; i++) {
            producer.send(new ProducerRecord<>(args[1], 0, "k" + i, "open-" + i)).get();
        }
        producer.flush();
        System.out.println("open transaction: " + n + " records in " + args[1] + "-0");
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
