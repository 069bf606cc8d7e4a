package sherwood.harness;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.GroupListing;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;

/**
 * admin OP [--option=value ...] [admin.property=value ...]: one AdminClient call, printed as
 * {"type":"admin","op":OP,"result":...}. Per-topic / per-group / per-partition failures are data
 * in the result ({"error":{"class","message"}}), as the AdminClient reports them per item;
 * a failure of the whole call (timeout, unsupported API) is the command's error.
 *
 *   create-topics --topic=T[,T2] [--partitions=N] [--replication-factor=R] [--config=K=V ...]
 *       → {T: {topicId, partitions, replicationFactor} | {error}}   (broker defaults when omitted)
 *   delete-topics --topic=T[,T2]                      → {T: {} | {error}}
 *   list-topics [--internal]                          → [names], sorted
 *   describe-topics --topic=T[,T2]                    → {T: {topicId, internal, partitions:
 *                                                        [{partition, leader, replicas, isr}]} | {error}}
 *   describe-cluster                                  → {clusterId, controller, nodes: [{id, host, port, rack}]}
 *   create-partitions --topic=T --count=N             → {T: {} | {error}}
 *   describe-configs (--topic=T | --broker=ID)        → {name: {value, source, readOnly, sensitive}}
 *   alter-configs (--topic=T | --broker=ID) [--set=K=V ...] [--delete=K ...]   (incremental)
 *                                                     → {} | {error}
 *   list-offsets --topic=T [--spec=earliest|latest|max-timestamp|TIMESTAMP]
 *                [--isolation=read_uncommitted|read_committed]
 *                                                     → {"T-P": {offset, timestamp, leaderEpoch} | {error}}
 *   delete-records --topic=T --before=P:OFFSET[,P:OFFSET]  → {"T-P": {lowWatermark} | {error}}
 *   list-groups                                       → [{groupId, type, protocol, state}]
 *   describe-groups --group=G[,G2]                    → {G: {state, type, protocol, assignor,
 *                                                        coordinator, members: [{memberId,
 *                                                        groupInstanceId, clientId, host, assignment}]} | {error}}
 *   list-group-offsets --group=G                      → {"T-P": offset}
 *   delete-groups --group=G[,G2]                      → {G: {} | {error}}
 *   describe-log-dirs --broker=ID                      → {dir: {error?, totalBytes, usableBytes, replicas: {"T-P": {size, offsetLag, future}}}}
 *   elect-leaders --type=preferred|unclean [--topic=T --partitions=P[,P2]]   (no topic: all)
 *                                                     → {"T-P": {} | {error}}
 *
 * --timeout-ms (default 30000) bounds each wait on a result.
 */
final class AdminCommand {
    private AdminCommand() {}

    private static final Set<String> OPTIONS = Set.of("topic", "group", "partitions", "replication-factor", "config", "internal", "count",
        "broker", "set", "delete", "spec", "isolation", "before", "timeout-ms", "type");

    static void run(Args a, Out out) throws Exception {
        a.expect(2, OPTIONS);
        String op = a.word(1, "admin operation");
        long timeoutMs = a.getLong("timeout-ms", 30_000);
        Properties props = a.props();
        try (Admin admin = Admin.create(props)) {
            Object result = switch (op) {
                case "create-topics" -> createTopics(admin, a, timeoutMs);
                case "delete-topics" -> perItem(admin.deleteTopics(a.list("topic")).topicNameValues(), timeoutMs, v -> Json.obj());
                case "list-topics" -> new ArrayList<>(new java.util.TreeSet<>(admin.listTopics(new ListTopicsOptions().listInternal(a.has("internal"))).names().get(timeoutMs, TimeUnit.MILLISECONDS)));
                case "describe-topics" -> perItem(admin.describeTopics(a.list("topic")).topicNameValues(), timeoutMs, AdminCommand::topic);
                case "describe-cluster" -> cluster(admin.describeCluster(), timeoutMs);
                case "create-partitions" -> perItem(admin.createPartitions(Map.of(a.require("topic"), NewPartitions.increaseTo(Integer.parseInt(a.require("count"))))).values(), timeoutMs, v -> Json.obj());
                case "describe-configs" -> describeConfigs(admin, resource(a), timeoutMs);
                case "alter-configs" -> alterConfigs(admin, a, timeoutMs);
                case "list-offsets" -> listOffsets(admin, a, timeoutMs);
                case "delete-records" -> deleteRecords(admin, a, timeoutMs);
                case "list-groups" -> listGroups(admin, timeoutMs);
                case "describe-groups" -> perItem(admin.describeConsumerGroups(a.list("group")).describedGroups(), timeoutMs, AdminCommand::group);
                case "list-group-offsets" -> groupOffsets(admin.listConsumerGroupOffsets(a.require("group")).partitionsToOffsetAndMetadata().get(timeoutMs, TimeUnit.MILLISECONDS));
                case "elect-leaders" -> electLeaders(admin, a, timeoutMs);
                case "describe-log-dirs" -> describeLogDirs(admin, a, timeoutMs);
                case "delete-groups" -> perItem(admin.deleteConsumerGroups(a.list("group")).deletedGroups(), timeoutMs, v -> Json.obj());
                default -> throw new IllegalArgumentException("unknown admin operation '" + op + "'");
            };
            out.emit(Json.obj("type", "admin", "op", op, "result", result));
        }
    }

    private static Object describeLogDirs(Admin admin, Args a, long timeoutMs) throws Exception {
        int broker = Integer.parseInt(a.require("broker"));
        Map<Integer, Map<String, org.apache.kafka.clients.admin.LogDirDescription>> all =
            admin.describeLogDirs(List.of(broker)).allDescriptions().get(timeoutMs, TimeUnit.MILLISECONDS);
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<String, org.apache.kafka.clients.admin.LogDirDescription> e : all.get(broker).entrySet()) {
            org.apache.kafka.clients.admin.LogDirDescription d = e.getValue();
            Map<String, Object> replicas = new TreeMap<>();
            d.replicaInfos().forEach((tp, info) -> replicas.put(tp.toString(), Json.obj("size", info.size(), "offsetLag", info.offsetLag(), "future", info.isFuture())));
            Map<String, Object> dir = new TreeMap<>();
            if (d.error() != null) dir.put("error", Errors.describe(d.error()));
            dir.put("totalBytes", d.totalBytes().isPresent() ? d.totalBytes().getAsLong() : -1);
            dir.put("usableBytes", d.usableBytes().isPresent() ? d.usableBytes().getAsLong() : -1);
            dir.put("replicas", replicas);
            out.put(e.getKey(), dir);
        }
        return out;
    }

    private static Object electLeaders(Admin admin, Args a, long timeoutMs) throws Exception {
        org.apache.kafka.common.ElectionType type = switch (a.require("type")) {
            case "preferred" -> org.apache.kafka.common.ElectionType.PREFERRED;
            case "unclean" -> org.apache.kafka.common.ElectionType.UNCLEAN;
            default -> throw new IllegalArgumentException("--type must be preferred or unclean");
        };
        Set<org.apache.kafka.common.TopicPartition> partitions = null;
        if (a.has("topic")) {
            partitions = new java.util.HashSet<>();
            for (String p : a.list("partitions")) partitions.add(new org.apache.kafka.common.TopicPartition(a.require("topic"), Integer.parseInt(p)));
        }
        Map<org.apache.kafka.common.TopicPartition, java.util.Optional<Throwable>> r = admin.electLeaders(type, partitions).partitions().get(timeoutMs, TimeUnit.MILLISECONDS);
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<org.apache.kafka.common.TopicPartition, java.util.Optional<Throwable>> e : r.entrySet()) {
            out.put(e.getKey().toString(), e.getValue().isPresent() ? Json.obj("error", Errors.describe(e.getValue().get())) : Json.obj());
        }
        return out;
    }

    /** Waits for each item's future; a failed item becomes {"error": ...}. */
    private static <K, V> Map<String, Object> perItem(Map<K, KafkaFuture<V>> futures, long timeoutMs, java.util.function.Function<V, Object> render) throws InterruptedException {
        Map<String, Object> out = new TreeMap<>();
        for (Map.Entry<K, KafkaFuture<V>> e : futures.entrySet()) {
            try {
                out.put(e.getKey().toString(), render.apply(e.getValue().get(timeoutMs, TimeUnit.MILLISECONDS)));
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
                out.put(e.getKey().toString(), Json.obj("error", Errors.describe(ex)));
            }
        }
        return out;
    }

    private static Object createTopics(Admin admin, Args a, long timeoutMs) throws InterruptedException {
        Optional<Integer> partitions = a.has("partitions") ? Optional.of(a.getInt("partitions", 1)) : Optional.empty();
        Optional<Short> rf = a.has("replication-factor") ? Optional.of(Short.parseShort(a.get("replication-factor", "1"))) : Optional.empty();
        Map<String, String> configs = keyValues(a.all("config"));
        List<NewTopic> topics = new ArrayList<>();
        for (String name : a.list("topic")) topics.add(new NewTopic(name, partitions, rf).configs(configs));
        var result = admin.createTopics(topics);
        Map<String, Object> out = new TreeMap<>();
        for (String name : a.list("topic")) {
            try {
                result.values().get(name).get(timeoutMs, TimeUnit.MILLISECONDS);
                out.put(name, Json.obj("topicId", result.topicId(name).get().toString(), "partitions", result.numPartitions(name).get(),
                    "replicationFactor", result.replicationFactor(name).get()));
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException ex) {
                out.put(name, Json.obj("error", Errors.describe(ex)));
            }
        }
        return out;
    }

    private static Object topic(TopicDescription d) {
        List<Object> partitions = new ArrayList<>();
        for (TopicPartitionInfo p : d.partitions()) {
            partitions.add(Json.obj("partition", p.partition(), "leader", p.leader() == null ? null : p.leader().id(), "replicas", ids(p.replicas()),
                "isr", ids(p.isr())));
        }
        return Json.obj("topicId", d.topicId().toString(), "internal", d.isInternal(), "partitions", partitions);
    }

    private static List<Integer> ids(List<Node> nodes) {
        return nodes.stream().map(Node::id).toList();
    }

    private static Object cluster(DescribeClusterResult r, long timeoutMs) throws Exception {
        List<Object> nodes = new ArrayList<>();
        for (Node n : r.nodes().get(timeoutMs, TimeUnit.MILLISECONDS)) nodes.add(node(n));
        Node controller = r.controller().get(timeoutMs, TimeUnit.MILLISECONDS);
        return Json.obj("clusterId", r.clusterId().get(timeoutMs, TimeUnit.MILLISECONDS), "controller", controller == null ? null : controller.id(), "nodes", nodes);
    }

    private static Map<String, Object> node(Node n) {
        return Json.obj("id", n.id(), "host", n.host(), "port", n.port(), "rack", n.rack());
    }

    private static ConfigResource resource(Args a) {
        if (a.has("topic") == a.has("broker")) throw new IllegalArgumentException("give one of --topic and --broker");
        return a.has("topic") ? new ConfigResource(ConfigResource.Type.TOPIC, a.require("topic")) : new ConfigResource(ConfigResource.Type.BROKER, a.require("broker"));
    }

    private static Object describeConfigs(Admin admin, ConfigResource resource, long timeoutMs) throws Exception {
        Config config = admin.describeConfigs(List.of(resource)).all().get(timeoutMs, TimeUnit.MILLISECONDS).get(resource);
        Map<String, Object> out = new TreeMap<>();
        for (ConfigEntry e : config.entries()) {
            out.put(e.name(), Json.obj("value", e.value(), "source", e.source().name(), "readOnly", e.isReadOnly(), "sensitive", e.isSensitive()));
        }
        return out;
    }

    private static Object alterConfigs(Admin admin, Args a, long timeoutMs) throws Exception {
        ConfigResource resource = resource(a);
        List<AlterConfigOp> ops = new ArrayList<>();
        keyValues(a.all("set")).forEach((k, v) -> ops.add(new AlterConfigOp(new ConfigEntry(k, v), AlterConfigOp.OpType.SET)));
        for (String k : a.list("delete")) ops.add(new AlterConfigOp(new ConfigEntry(k, null), AlterConfigOp.OpType.DELETE));
        try {
            admin.incrementalAlterConfigs(Map.of(resource, ops)).all().get(timeoutMs, TimeUnit.MILLISECONDS);
            return Json.obj();
        } catch (java.util.concurrent.ExecutionException ex) {
            return Json.obj("error", Errors.describe(ex));
        }
    }

    private static Object listOffsets(Admin admin, Args a, long timeoutMs) throws Exception {
        String topic = a.require("topic");
        String spec = a.get("spec", "latest");
        OffsetSpec offsetSpec = switch (spec) {
            case "earliest" -> OffsetSpec.earliest();
            case "latest" -> OffsetSpec.latest();
            case "max-timestamp" -> OffsetSpec.maxTimestamp();
            default -> OffsetSpec.forTimestamp(Long.parseLong(spec));
        };
        IsolationLevel isolation = IsolationLevel.valueOf(a.get("isolation", "read_uncommitted").toUpperCase(java.util.Locale.ROOT));
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(timeoutMs, TimeUnit.MILLISECONDS).get(topic);
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (TopicPartitionInfo p : d.partitions()) request.put(new TopicPartition(topic, p.partition()), offsetSpec);
        Map<TopicPartition, KafkaFuture<ListOffsetsResult.ListOffsetsResultInfo>> futures = new HashMap<>();
        ListOffsetsResult r = admin.listOffsets(request, new ListOffsetsOptions(isolation));
        for (TopicPartition tp : request.keySet()) futures.put(tp, r.partitionResult(tp));
        return perItem(futures, timeoutMs, info -> Json.obj("offset", info.offset(), "timestamp", info.timestamp(), "leaderEpoch", info.leaderEpoch().orElse(null)));
    }

    private static Object deleteRecords(Admin admin, Args a, long timeoutMs) throws Exception {
        String topic = a.require("topic");
        Map<TopicPartition, RecordsToDelete> request = new HashMap<>();
        for (String spec : a.list("before")) {
            int colon = spec.indexOf(':');
            if (colon <= 0) throw new IllegalArgumentException("--before is PARTITION:OFFSET: " + spec);
            request.put(new TopicPartition(topic, Integer.parseInt(spec.substring(0, colon))), RecordsToDelete.beforeOffset(Long.parseLong(spec.substring(colon + 1))));
        }
        return perItem(admin.deleteRecords(request).lowWatermarks(), timeoutMs, lw -> Json.obj("lowWatermark", lw.lowWatermark()));
    }

    private static Object listGroups(Admin admin, long timeoutMs) throws Exception {
        List<Object> out = new ArrayList<>();
        Collection<GroupListing> groups = admin.listGroups().all().get(timeoutMs, TimeUnit.MILLISECONDS);
        groups.stream().sorted(java.util.Comparator.comparing(GroupListing::groupId)).forEach(g -> out.add(Json.obj("groupId", g.groupId(),
            "type", g.type().map(Enum::name).orElse(null), "protocol", g.protocol(), "state", g.groupState().map(Enum::name).orElse(null))));
        return out;
    }

    private static Object group(ConsumerGroupDescription d) {
        List<Object> members = new ArrayList<>();
        for (MemberDescription m : d.members()) {
            members.add(Json.obj("memberId", m.consumerId(), "groupInstanceId", m.groupInstanceId().orElse(null), "clientId", m.clientId(), "host", m.host(),
                "assignment", m.assignment().topicPartitions().stream().map(TopicPartition::toString).sorted().toList()));
        }
        return Json.obj("state", d.groupState().name(), "type", d.type().name(), "assignor", d.partitionAssignor(),
            "coordinator", d.coordinator() == null ? null : d.coordinator().id(), "members", members);
    }

    private static Object groupOffsets(Map<TopicPartition, OffsetAndMetadata> offsets) {
        Map<String, Object> out = new TreeMap<>();
        offsets.forEach((tp, om) -> out.put(tp.toString(), om == null ? null : om.offset()));
        return out;
    }

    private static Map<String, String> keyValues(List<String> kvs) {
        Map<String, String> out = new TreeMap<>();
        for (String kv : kvs) {
            int eq = kv.indexOf('=');
            if (eq <= 0) throw new IllegalArgumentException("expected KEY=VALUE: " + kv);
            out.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return out;
    }
}
