package sherwood.harness;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * consume (--topic=T[,T2] | --assign=T[:P][,...]) [--from-beginning] [--max=N] [--idle-ms=MS]
 *         [--timeout-ms=MS] [--commit=none|sync] [--print=records|none] [--encoding=utf8|base64]
 *         [--poll-ms=MS] [consumer.property=value ...]
 *
 * A KafkaConsumer configured by the given properties (group.id, isolation.level, ...);
 * --from-beginning sets auto.offset.reset=earliest unless a property does. --topic subscribes
 * (needs group.id); --assign assigns the listed partitions, or every partition of a bare topic.
 *
 * Stops at the first of: N records printed (records a poll returned beyond N are dropped, so
 * the consumer's position may be past them); MS milliseconds without a record, counted from the
 * assignment (so a group join is not idle time); --timeout-ms (default 60000), which is not an
 * error: the summary says timedOut. At least one of --max and --idle-ms is required.
 *
 * Prints {"type":"assigned"|"revoked","partitions":["T-0",...]} on rebalances,
 * {"type":"record","topic","partition","offset","timestamp","timestampType","leaderEpoch","key",
 * "value","headers":[[name,value],...]} per record (keys and values as UTF-8 text, or base64;
 * null stays null), then {"type":"consumed","count","partitions":{"T-P":{"count","first","last"}},
 * "positions":{"T-P":offset},"committed":{"T-P":offset|null},"group":{...},"timedOut","ms"}.
 * With --commit=sync it commits, synchronously, the offset after the last printed record of each
 * partition (never past what was printed); "committed" is read back from the coordinator
 * whenever group.id is set. The consumer is closed (LeaveGroup) before the summary.
 */
final class ConsumeCommand {
    private ConsumeCommand() {}

    private static final Set<String> OPTIONS = Set.of("topic", "assign", "from-beginning", "max", "idle-ms", "timeout-ms", "commit", "print",
        "encoding", "poll-ms");

    static void run(Args a, Out out) {
        a.expect(1, OPTIONS);
        List<String> topics = a.list("topic");
        List<String> assign = a.list("assign");
        if (topics.isEmpty() == assign.isEmpty()) throw new IllegalArgumentException("give one of --topic (subscribe) and --assign");
        int max = a.getInt("max", Integer.MAX_VALUE);
        long idleMs = a.getLong("idle-ms", -1);
        if (max == Integer.MAX_VALUE && idleMs < 0) throw new IllegalArgumentException("give --max or --idle-ms (or both)");
        long timeoutMs = a.getLong("timeout-ms", 60_000);
        String commit = a.get("commit", "none");
        if (!Set.of("none", "sync").contains(commit)) throw new IllegalArgumentException("--commit is none or sync");
        boolean print = switch (a.get("print", "records")) {
            case "records" -> true;
            case "none" -> false;
            default -> throw new IllegalArgumentException("--print is records or none");
        };
        boolean base64 = switch (a.get("encoding", "utf8")) {
            case "utf8" -> false;
            case "base64" -> true;
            default -> throw new IllegalArgumentException("--encoding is utf8 or base64");
        };
        Duration pollTimeout = Duration.ofMillis(a.getLong("poll-ms", 100));
        Properties props = a.props();
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        if (a.has("from-beginning")) props.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        boolean grouped = props.getProperty(ConsumerConfig.GROUP_ID_CONFIG) != null;

        long started = System.nanoTime();
        long deadline = started + timeoutMs * 1_000_000;
        long[] assignedAt = {-1};
        Map<String, long[]> perPartition = new TreeMap<>(); // "T-P" -> {count, first, last}
        Map<TopicPartition, OffsetAndMetadata> next = new TreeMap<>(Comparator.comparing(TopicPartition::toString));
        int count = 0;
        boolean timedOut = false;
        Map<String, Object> summary;
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props);
        try {
            if (!topics.isEmpty()) {
                consumer.subscribe(topics, new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        assignedAt[0] = System.nanoTime();
                        out.emit(Json.obj("type", "assigned", "partitions", names(partitions)));
                    }

                    @Override
                    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                        out.emit(Json.obj("type", "revoked", "partitions", names(partitions)));
                    }
                });
            } else {
                List<TopicPartition> tps = resolve(consumer, assign);
                consumer.assign(tps);
                assignedAt[0] = System.nanoTime();
                out.emit(Json.obj("type", "assigned", "partitions", names(tps)));
            }
            long lastRecordAt = -1;
            while (count < max) {
                long now = System.nanoTime();
                if (now >= deadline) {
                    timedOut = true;
                    break;
                }
                if (idleMs >= 0 && assignedAt[0] >= 0 && now - Math.max(lastRecordAt, assignedAt[0]) >= idleMs * 1_000_000) break;
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(pollTimeout)) {
                    if (count >= max) break;
                    count++;
                    lastRecordAt = System.nanoTime();
                    long[] s = perPartition.computeIfAbsent(r.topic() + "-" + r.partition(), k -> new long[] {0, r.offset(), r.offset()});
                    s[0]++;
                    s[2] = r.offset();
                    next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1, r.leaderEpoch(), ""));
                    if (print) out.emit(record(r, base64));
                }
            }
            if (commit.equals("sync") && !next.isEmpty()) consumer.commitSync(next, Duration.ofSeconds(30));
            summary = summary(consumer, grouped, count, perPartition);
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(30)));
        }
        summary.put("timedOut", timedOut);
        summary.put("ms", (System.nanoTime() - started) / 1_000_000);
        out.emit(summary);
    }

    private static Map<String, Object> summary(KafkaConsumer<byte[], byte[]> consumer, boolean grouped, int count, Map<String, long[]> perPartition) {
        Map<String, Object> partitions = new TreeMap<>();
        perPartition.forEach((tp, s) -> partitions.put(tp, Json.obj("count", s[0], "first", s[1], "last", s[2])));
        Set<TopicPartition> assignment = consumer.assignment();
        Map<String, Object> positions = new TreeMap<>();
        for (TopicPartition tp : assignment) {
            try {
                positions.put(tp.toString(), consumer.position(tp, Duration.ofSeconds(10)));
            } catch (RuntimeException e) {
                positions.put(tp.toString(), Json.obj("error", Errors.describe(e)));
            }
        }
        Map<String, Object> s = Json.obj("type", "consumed", "count", count, "partitions", partitions, "positions", positions);
        if (grouped) {
            Map<String, Object> committed = new TreeMap<>();
            consumer.committed(assignment, Duration.ofSeconds(10)).forEach((tp, om) -> committed.put(tp.toString(), om == null ? null : om.offset()));
            s.put("committed", committed);
            ConsumerGroupMetadata g = consumer.groupMetadata();
            s.put("group", Json.obj("groupId", g.groupId(), "generationId", g.generationId(), "memberId", g.memberId()));
        }
        return s;
    }

    private static Map<String, Object> record(ConsumerRecord<byte[], byte[]> r, boolean base64) {
        List<Object> headers = new ArrayList<>();
        for (Header h : r.headers()) headers.add(java.util.Arrays.asList(h.key(), text(h.value(), base64)));
        return Json.obj("type", "record", "topic", r.topic(), "partition", r.partition(), "offset", r.offset(), "timestamp", r.timestamp(),
            "timestampType", r.timestampType().name, "leaderEpoch", r.leaderEpoch().orElse(null), "key", text(r.key(), base64),
            "value", text(r.value(), base64), "headers", headers);
    }

    private static String text(byte[] b, boolean base64) {
        if (b == null) return null;
        return base64 ? Base64.getEncoder().encodeToString(b) : new String(b, StandardCharsets.UTF_8);
    }

    /** "T" (every partition, from the client's metadata) or "T:P". */
    private static List<TopicPartition> resolve(KafkaConsumer<byte[], byte[]> consumer, List<String> specs) {
        List<TopicPartition> out = new ArrayList<>();
        for (String spec : specs) {
            int colon = spec.lastIndexOf(':');
            if (colon > 0) {
                out.add(new TopicPartition(spec.substring(0, colon), Integer.parseInt(spec.substring(colon + 1))));
                continue;
            }
            List<PartitionInfo> infos = consumer.partitionsFor(spec, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) throw new IllegalArgumentException("topic " + spec + " has no partitions");
            infos.stream().map(pi -> new TopicPartition(pi.topic(), pi.partition())).sorted(Comparator.comparingInt(TopicPartition::partition)).forEach(out::add);
        }
        return out;
    }

    private static List<String> names(Collection<TopicPartition> tps) {
        return tps.stream().map(TopicPartition::toString).sorted().toList();
    }
}
