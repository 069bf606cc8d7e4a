package sherwood.harness;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * produce --topic=T [--count=N] [--start=S] [--key=PATTERN] [--value=PATTERN | --null-value]
 *         [--value-size=BYTES] [--header=NAME=PATTERN ...] [--partition=P] [--rate=PER_SECOND]
 *         [--reports=all|errors|none] [--close-timeout-ms=MS]
 *         [--transaction=commit|abort ... [--offsets-group=G --offsets=TOPIC:PARTITION:OFFSET ...]]
 *         [producer.property=value ...]
 *
 * Sends records i = S .. S+N-1 with a KafkaProducer configured by the given properties only
 * (the client's own defaults otherwise: acks=all, enable.idempotence=true, ...). In a pattern
 * "{i}" stands for the record's index; without --key the key is null (the default partitioner
 * then spreads records); --value-size pads each value with '.' up to that many bytes. Without
 * --partition the client's partitioner picks the partition. --rate paces send() calls to at most
 * that many records per second (so a run can span a broker restart or a failover).
 *
 * Prints one {"type":"delivery","i","partition","offset","timestamp"} line per delivery report
 * (with "error" instead of an offset when the send failed; --reports=errors prints only those),
 * in the order the client completes them, which per partition is send order. Then, after
 * flush() and close(), {"type":"produced","topic","count","sent","acked","failed","errors","ms"}
 * where "errors" holds up to 5 distinct failures. A send() that throws (for example metadata not
 * available within max.block.ms) counts as a failure and stops sending.
 *
 * Transactional mode (--transaction, needs transactional.id=...): initTransactions() once, then
 * for each --transaction in order one transaction k = 0, 1, ...: beginTransaction(), send the
 * records i = S + k*N .. S + k*N + N-1, sendOffsetsToTransaction(the --offsets, group
 * --offsets-group) if any, flush(), then commitTransaction() or abortTransaction(). Prints
 * {"type":"transaction","n":k,"outcome":"commit"|"abort"} after each, with "error" when a step
 * threw (then it stops: no further transactions). "count" in the summary is N times the number
 * of transactions.
 */
final class ProduceCommand {
    private ProduceCommand() {}

    private static final Set<String> OPTIONS = Set.of("topic", "count", "start", "key", "value", "null-value", "value-size", "header",
        "partition", "rate", "reports", "close-timeout-ms", "transaction", "offsets-group", "offsets");

    static void run(Args a, Out out) {
        a.expect(1, OPTIONS);
        String topic = a.require("topic");
        int count = a.getInt("count", 1);
        int start = a.getInt("start", 0);
        Pattern key = a.has("key") ? new Pattern(a.get("key", "")) : null;
        Pattern value = a.has("null-value") ? null : new Pattern(a.get("value", "value-{i}"));
        int valueSize = a.getInt("value-size", 0);
        Integer partition = a.has("partition") ? a.getInt("partition", -1) : null;
        long rate = a.getLong("rate", 0);
        String reports = a.get("reports", "all");
        if (!Set.of("all", "errors", "none").contains(reports)) throw new IllegalArgumentException("--reports is all, errors or none");
        List<String> headerNames = new ArrayList<>();
        List<Pattern> headerValues = new ArrayList<>();
        for (String h : a.all("header")) {
            int eq = h.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("--header is NAME=PATTERN: " + h);
            headerNames.add(h.substring(0, eq));
            headerValues.add(new Pattern(h.substring(eq + 1)));
        }
        Properties props = a.props();
        props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());

        List<String> transactions = a.all("transaction");
        for (String t : transactions) if (!t.equals("commit") && !t.equals("abort")) throw new IllegalArgumentException("--transaction is commit or abort: " + t);
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        for (String o : a.all("offsets")) {
            String[] parts = o.split(":");
            if (parts.length != 3) throw new IllegalArgumentException("--offsets is TOPIC:PARTITION:OFFSET: " + o);
            offsets.put(new TopicPartition(parts[0], Integer.parseInt(parts[1])), new OffsetAndMetadata(Long.parseLong(parts[2])));
        }
        String offsetsGroup = a.get("offsets-group", null);
        if (!offsets.isEmpty() && offsetsGroup == null) throw new IllegalArgumentException("--offsets needs --offsets-group");
        int rounds = transactions.isEmpty() ? 1 : transactions.size();
        int total = count * rounds;

        long started = System.nanoTime();
        AtomicInteger acked = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        List<Map<String, Object>> errors = new ArrayList<>();
        // A send() can both throw and complete its callback with an error (a fatal producer state):
        // the first of the two reports the record, so each index is counted once.
        AtomicIntegerArray reported = new AtomicIntegerArray(total);
        int sent = 0;
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props);
        try {
            if (!transactions.isEmpty()) producer.initTransactions();
            rounds:
            for (int k = 0; k < rounds; k++) {
                if (!transactions.isEmpty()) producer.beginTransaction();
                int from = start + k * count;
                // Paced from the first send's return: the first send() may wait for metadata.
                long paceFrom = 0;
                boolean stopped = false;
                for (int i = from; i < from + count; i++) {
                    if (rate > 0 && i > from) pace(paceFrom + (i - from) * 1_000_000_000L / rate);
                    String v = value == null ? null : pad(value.at(i), valueSize);
                    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, partition, key == null ? null : bytes(key.at(i)), v == null ? null : bytes(v));
                    for (int h = 0; h < headerNames.size(); h++) record.headers().add(new RecordHeader(headerNames.get(h), bytes(headerValues.get(h).at(i))));
                    final int index = i;
                    try {
                        producer.send(record, (md, e) -> {
                            if (!reported.compareAndSet(index - start, 0, 1)) return;
                            if (e == null) {
                                acked.incrementAndGet();
                                if (reports.equals("all")) out.emit(Json.obj("type", "delivery", "i", index, "partition", md.partition(), "offset", md.offset(), "timestamp", md.timestamp()));
                            } else {
                                failed.incrementAndGet();
                                Map<String, Object> err = Errors.describe(e);
                                noteError(errors, err);
                                if (!reports.equals("none")) out.emit(Json.obj("type", "delivery", "i", index, "partition", md == null ? null : md.partition(), "error", err));
                            }
                        });
                        sent++;
                        if (i == from) paceFrom = System.nanoTime();
                    } catch (RuntimeException e) {
                        stopped = true;
                        if (!reported.compareAndSet(index - start, 0, 1)) break;
                        failed.incrementAndGet();
                        Map<String, Object> err = Errors.describe(e);
                        noteError(errors, err);
                        if (!reports.equals("none")) out.emit(Json.obj("type", "delivery", "i", index, "error", err));
                        break;
                    }
                }
                if (transactions.isEmpty()) break;
                String outcome = transactions.get(k);
                try {
                    if (stopped) throw new IllegalStateException("a send failed in transaction " + k);
                    if (!offsets.isEmpty()) producer.sendOffsetsToTransaction(offsets, new ConsumerGroupMetadata(offsetsGroup));
                    producer.flush();
                    if (outcome.equals("commit")) producer.commitTransaction();
                    else producer.abortTransaction();
                    out.emit(Json.obj("type", "transaction", "n", k, "outcome", outcome));
                } catch (RuntimeException e) {
                    out.emit(Json.obj("type", "transaction", "n", k, "outcome", outcome, "error", Errors.describe(e)));
                    break rounds;
                }
            }
            producer.flush();
        } finally {
            producer.close(Duration.ofMillis(a.getLong("close-timeout-ms", 30_000)));
        }
        synchronized (errors) {
            out.emit(Json.obj("type", "produced", "topic", topic, "count", total, "sent", sent, "acked", acked.get(), "failed", failed.get(),
                "errors", new ArrayList<>(errors), "ms", (System.nanoTime() - started) / 1_000_000));
        }
    }

    private static void pace(long dueNanos) {
        for (long wait = dueNanos - System.nanoTime(); wait > 0; wait = dueNanos - System.nanoTime()) LockSupport.parkNanos(wait);
    }

    private static void noteError(List<Map<String, Object>> errors, Map<String, Object> err) {
        synchronized (errors) {
            if (errors.size() < 5 && !errors.contains(err)) errors.add(err);
        }
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String pad(String s, int size) {
        if (s.length() >= size) return s;
        return s + ".".repeat(size - s.length());
    }

    /** A text with "{i}" placeholders, split once. */
    static final class Pattern {
        private final String[] parts;

        Pattern(String text) {
            this.parts = text.split("\\{i\\}", -1);
        }

        String at(int i) {
            if (parts.length == 1) return parts[0];
            StringBuilder sb = new StringBuilder(parts[0]);
            for (int k = 1; k < parts.length; k++) sb.append(i).append(parts[k]);
            return sb.toString();
        }
    }
}
