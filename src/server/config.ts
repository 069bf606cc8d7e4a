/**
 * Broker configuration: Kafka's property names, types and defaults (docs/configuration.md lists
 * every key). A server.properties file, `--override key=value` flags and StartBrokerOptions all
 * end up as one flat `Record<string, string>` that `BrokerConfig.fromProperties` validates;
 * an unknown key or a bad value throws a ConfigError whose message starts with the key.
 *
 * Values are typed as Kafka types them: `int` is 32-bit, `long` a JS number (Long.MAX_VALUE
 * keeps its magnitude and prints back as 9223372036854775807), `list` is comma-separated.
 * A key whose default is null is "unset" and a derived value applies (log.retention.ms falls
 * back to log.retention.minutes, then log.retention.hours, as in Kafka).
 *
 * Where Sherwood deliberately differs from Kafka's default it says so in `doc` (single broker:
 * replication factors of internal topics default to 1; listeners bind 127.0.0.1).
 */
import { hostname } from 'node:os';
import { ConfigError } from '../base/errors.js';
import type { LogLevel } from '../base/logger.js';
import type { LogConfig } from '../storage/log-config.js';
import { parseEtcdConnect } from '../cluster/etcd/etcd-connect.js';

export type ConfigType = 'int' | 'long' | 'double' | 'boolean' | 'string' | 'list' | 'password' | 'class';
export type ConfigValue = number | boolean | string | string[] | null;
export type ConfigSource = 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG' | 'DYNAMIC_BROKER_CONFIG';

export interface ConfigDef {
  name: string;
  type: ConfigType;
  default: ConfigValue;
  doc: string;
  /** Can be changed at runtime (AlterConfigs / IncrementalAlterConfigs on the broker resource). */
  dynamic?: boolean;
  /** Returns an error text (without the key) when the parsed value is not acceptable. */
  validate?: (value: ConfigValue) => string | null;
}

/** Long.MAX_VALUE as a JS number; formatted back as Kafka prints it. */
export const LONG_MAX = 9223372036854775807;
const INT_MAX = 2147483647;
const HOUR_MS = 3_600_000;

const validEtcdConnect = (v: ConfigValue): string | null => {
  if (v === null) return null;
  try {
    parseEtcdConnect(String(v));
    return null;
  } catch (err) {
    return (err as Error).message.replace(/^etcd\.connect: /, '');
  }
};
const atLeast = (min: number) => (v: ConfigValue) => (v === null || (v as number) >= min ? null : `must be at least ${min}`);
const between = (min: number, max: number) => (v: ConfigValue) =>
  v === null || ((v as number) >= min && (v as number) <= max) ? null : `must be between ${min} and ${max}`;
const oneOf = (...allowed: string[]) => (v: ConfigValue) => {
  if (v === null) return null;
  const values = Array.isArray(v) ? v : [v as string];
  const bad = values.find((x) => !allowed.includes(x));
  return bad === undefined ? null : `'${bad}' is not one of ${allowed.join(', ')}`;
};
const listOf = (...allowed: string[]) => (v: ConfigValue) => {
  const r = oneOf(...allowed)(v);
  if (r !== null) return r;
  return Array.isArray(v) && v.length === 0 ? 'must not be empty' : null;
};

function def(name: string, type: ConfigType, dflt: ConfigValue, doc: string, extra: Partial<ConfigDef> = {}): ConfigDef {
  return { name, type, default: dflt, doc, ...extra };
}

const IGNORED = 'Accepted for compatibility with Kafka property files; Sherwood ignores it.';

export const BROKER_CONFIG_DEFS: ConfigDef[] = [
  // --- Server basics
  def('node.id', 'int', 1, 'The id of this broker in metadata responses and meta.properties. Kafka requires it in KRaft mode; Sherwood defaults to 1. If broker.id is set and node.id is not, broker.id is used.', { validate: atLeast(0) }),
  def('broker.id', 'int', -1, 'Legacy synonym of node.id; -1 means unset.', { validate: atLeast(-1) }),
  def('listeners', 'list', ['PLAINTEXT://127.0.0.1:9092'], 'Comma-separated NAME://host:port the broker binds. An empty host binds all interfaces; port 0 picks a free port. Kafka\'s default binds all interfaces; Sherwood binds 127.0.0.1.'),
  def('advertised.listeners', 'list', null, 'NAME://host:port sent to clients in Metadata; defaults to listeners (with the real port when listeners uses port 0).', { dynamic: false }),
  def('listener.security.protocol.map', 'list', ['PLAINTEXT:PLAINTEXT', 'SSL:SSL', 'SASL_PLAINTEXT:SASL_PLAINTEXT', 'SASL_SSL:SASL_SSL'], 'Maps listener names to security protocols. Sherwood serves PLAINTEXT only for now (SASL and TLS are not implemented yet, so such listeners are refused at start-up).'),
  def('inter.broker.listener.name', 'string', null, 'In a cluster: the listener other brokers connect to (followers fetch through it); default: the first listener.'),
  def('security.inter.broker.protocol', 'string', 'PLAINTEXT', IGNORED),
  def('process.roles', 'list', [], IGNORED + ' (Sherwood is always a combined single node).'),
  def('controller.listener.names', 'list', [], IGNORED),
  def('controller.quorum.voters', 'list', [], IGNORED),
  def('controller.quorum.bootstrap.servers', 'list', [], IGNORED),
  def('broker.rack', 'string', null, 'Rack of this broker, returned in Metadata.'),
  def('etcd.connect', 'string', null, 'host:port[,host:port...][/prefix] of etcd (the v3 HTTP gateway), like zookeeper.connect: with it the broker joins a cluster whose metadata, broker registrations and controller election live in etcd under the prefix (docs/cluster.md); unset, it is a standalone broker with its metadata in its first log dir.', { validate: validEtcdConnect }),
  def('initial.broker.registration.timeout.ms', 'int', 60000, 'In a cluster (etcd.connect): how long a starting broker keeps retrying while no etcd member answers before it gives up and exits, as a Kafka broker waits this long for the controller quorum. Brokers may thus be started before etcd.', { validate: atLeast(1) }),
  def('etcd.session.timeout.ms', 'int', 18000, 'The broker\'s etcd session (lease) timeout: a broker that sends no keep-alive for this long (crashed, paused, cut off) leaves the live set and the controller moves its leaderships. Rounded up to whole seconds; at least 2000. Like KRaft\'s broker.session.timeout.ms (9000) plus ZooKeeper-era slack.', { validate: atLeast(2000) }),
  def('controlled.shutdown.enable', 'boolean', true, 'In a cluster (etcd.connect): on SIGTERM or close() the broker first asks the controller to move its leaderships to other ISR members and to take it out of ISRs, waits until it leads nothing that can move (bounded by controlled.shutdown.max.retries x controlled.shutdown.retry.backoff.ms), then stops serving and ends its session (docs/cluster.md). false: it ends its session at once and the controller moves its leaderships after it stopped.'),
  def('auto.leader.rebalance.enable', 'boolean', true, 'In a cluster: every leader.imbalance.check.interval.seconds the controller moves the leadership of each partition not led by its preferred (first) replica back to it, when that replica is live, in the ISR and not shutting down (docs/cluster.md). Like KRaft, every such partition is balanced.', { dynamic: false }),
  def('leader.imbalance.check.interval.seconds', 'long', 300, 'In a cluster: how often the controller checks for partitions to give back to their preferred leaders (auto.leader.rebalance.enable).', { validate: atLeast(1) }),
  def('leader.imbalance.per.broker.percentage', 'int', 10, 'Accepted for compatibility; like KRaft\'s controller, Sherwood rebalances every imbalanced partition whatever the ratio.', { validate: between(0, 100) }),
  def('controlled.shutdown.max.retries', 'int', 3, 'Controlled shutdown: how many times the broker (re)sends its shutdown request and waits controlled.shutdown.retry.backoff.ms for its leaderships to move before stopping anyway.', { validate: atLeast(1) }),
  def('controlled.shutdown.retry.backoff.ms', 'long', 5000, 'Controlled shutdown: how long each attempt waits for the leaderships to move.', { validate: atLeast(0) }),
  def('num.network.threads', 'int', 3, IGNORED + ' Node runs the network on one event loop.', { validate: atLeast(1), dynamic: true }),
  def('num.io.threads', 'int', 8, IGNORED + ' Node runs request handlers on one event loop.', { validate: atLeast(1), dynamic: true }),
  def('num.recovery.threads.per.data.dir', 'int', 2, IGNORED, { validate: atLeast(1), dynamic: true }),
  def('background.threads', 'int', 10, IGNORED, { validate: atLeast(1), dynamic: true }),
  def('socket.send.buffer.bytes', 'int', 102400, IGNORED),
  def('socket.receive.buffer.bytes', 'int', 102400, IGNORED),
  def('socket.request.max.bytes', 'int', 104857600, 'The largest request frame accepted; a larger (or negative) size prefix closes the connection.', { validate: atLeast(1) }),
  def('connections.max.idle.ms', 'long', 600000, 'Idle connections are closed after this many milliseconds.', { validate: atLeast(1) }),
  def('queued.max.request.bytes', 'long', 268435456, 'Bytes of requests being received or queued, plus response bytes written to sockets but not yet taken by the kernel (e.g. Fetch responses a client does not read), that all connections may hold; beyond it sockets stop being read (and Fetch requests wait) until memory is released. A single request larger than this still proceeds. -1 means unbounded (Kafka\'s default, and Kafka counts requests only); Sherwood defaults to 256 MiB.', { validate: (v) => (v === null || v === -1 || (v as number) >= 1 ? null : 'must be -1 (unbounded) or at least 1') }),
  def('queued.max.requests', 'int', 500, 'Accepted for compatibility; Sherwood limits pipelined requests per connection instead (100) and pauses reading at the limit.', { validate: atLeast(1) }),
  def('log.level', 'string', 'info', 'Sherwood-specific: log verbosity on stderr (debug, info, warn, error, silent).', { validate: oneOf('debug', 'info', 'warn', 'error', 'silent') }),

  // --- Log directories and segments
  def('log.dir', 'string', './data', 'The data directory, used when log.dirs is not set. Kafka defaults to /tmp/kafka-logs; Sherwood to ./data.'),
  def('log.dirs', 'list', null, 'Comma-separated data directories; overrides log.dir. meta.properties (cluster.id, node.id) lives in each.'),
  def('log.segment.bytes', 'int', 1073741824, 'Maximum size of one log segment file (topic config segment.bytes).', { validate: atLeast(14), dynamic: true }),
  def('log.roll.hours', 'int', 168, 'Roll a new segment after this many hours (segment.ms), if log.roll.ms is not set.', { validate: atLeast(1), dynamic: true }),
  def('log.roll.ms', 'long', null, 'Roll a new segment after this many milliseconds (segment.ms); overrides log.roll.hours.', { validate: atLeast(1), dynamic: true }),
  def('log.roll.jitter.hours', 'int', 0, 'Maximum random jitter subtracted from a segment\'s roll time (segment.jitter.ms), if log.roll.jitter.ms is not set.', { validate: atLeast(0) }),
  def('log.roll.jitter.ms', 'long', null, 'Maximum random jitter subtracted from a segment\'s roll time (segment.jitter.ms); overrides log.roll.jitter.hours.', { validate: atLeast(0), dynamic: true }),
  def('log.preallocate', 'boolean', false, 'Preallocate segment files (preallocate). Accepted; Sherwood does not preallocate.', { dynamic: true }),
  def('log.index.interval.bytes', 'int', 4096, 'Bytes appended between offset-index entries (index.interval.bytes).', { validate: atLeast(0), dynamic: true }),
  def('log.index.size.max.bytes', 'int', 10485760, 'Maximum size of an offset or time index (segment.index.bytes).', { validate: atLeast(4), dynamic: true }),
  def('log.segment.delete.delay.ms', 'long', 60000, 'Delay before a deleted segment file is removed (file.delete.delay.ms).', { validate: atLeast(0), dynamic: true }),
  def('log.flush.interval.messages', 'long', LONG_MAX, 'fsync after this many messages (flush.messages). The default relies on the page cache, as Kafka does.', { validate: atLeast(1), dynamic: true }),
  def('log.flush.interval.ms', 'long', null, 'fsync a log whose oldest unflushed message is this old (flush.ms); defaults to log.flush.scheduler.interval.ms.', { validate: atLeast(0), dynamic: true }),
  def('log.flush.scheduler.interval.ms', 'long', LONG_MAX, 'How often the flusher checks logs against log.flush.interval.ms.', { validate: atLeast(0) }),
  def('log.flush.offset.checkpoint.interval.ms', 'int', 60000, 'How often recovery-point and log-start-offset checkpoints are written.', { validate: atLeast(1) }),
  def('sherwood.log.max.open.files', 'int', 512, 'Sherwood-specific: the most files the logs hold open at once. Segment files are kept in an LRU cache, closed while idle when the limit is reached and reopened on demand; index and checkpoint files count while they are read or written. Kafka has no such setting (it keeps every segment open and needs a file limit above the segment count). Keep it well below the process\'s file limit (ulimit -n), which must also cover connections.', { validate: atLeast(1) }),

  // --- Retention and cleanup
  def('log.retention.hours', 'int', 168, 'Delete segments older than this many hours (retention.ms) unless log.retention.minutes or log.retention.ms is set.', { dynamic: true }),
  def('log.retention.minutes', 'int', null, 'Retention in minutes; overrides log.retention.hours.', { dynamic: true }),
  def('log.retention.ms', 'long', null, 'Retention in milliseconds; overrides minutes and hours. -1 keeps data forever.', { validate: atLeast(-1), dynamic: true }),
  def('log.retention.bytes', 'long', -1, 'Delete old segments when a partition grows past this size (retention.bytes); -1 means no limit.', { dynamic: true }),
  def('log.retention.check.interval.ms', 'long', 300000, 'How often retention is checked.', { validate: atLeast(1) }),
  def('log.cleanup.policy', 'list', ['delete'], 'delete, compact, or both (cleanup.policy).', { validate: listOf('delete', 'compact'), dynamic: true }),
  def('log.cleaner.enable', 'boolean', true, 'Run log compaction for topics with cleanup.policy=compact. No effect yet in Sherwood.'),
  def('log.cleaner.backoff.ms', 'long', 15000, 'Sleep between compaction passes when there is nothing to clean.', { validate: atLeast(0), dynamic: true }),
  def('log.cleaner.threads', 'int', 1, IGNORED, { validate: atLeast(0), dynamic: true }),
  def('log.cleaner.delete.retention.ms', 'long', 86400000, 'How long tombstones survive compaction (delete.retention.ms).', { validate: atLeast(0), dynamic: true }),
  def('log.cleaner.min.cleanable.ratio', 'double', 0.5, 'Dirty ratio that makes a log eligible for compaction (min.cleanable.dirty.ratio).', { validate: between(0, 1), dynamic: true }),
  def('log.cleaner.min.compaction.lag.ms', 'long', 0, 'Messages younger than this are never compacted (min.compaction.lag.ms).', { validate: atLeast(0), dynamic: true }),
  def('log.cleaner.max.compaction.lag.ms', 'long', LONG_MAX, 'Messages older than this make a log eligible for compaction (max.compaction.lag.ms).', { validate: atLeast(1), dynamic: true }),

  // --- Messages
  def('message.max.bytes', 'int', 1048588, 'Largest record batch accepted (max.message.bytes).', { validate: atLeast(0), dynamic: true }),
  def('compression.type', 'string', 'producer', 'Compression of stored batches: producer keeps the producer\'s codec; uncompressed, gzip, snappy, lz4, zstd recompress.', { validate: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'), dynamic: true }),
  def('compression.gzip.level', 'int', -1, 'gzip level when compression.type is gzip (-1: the codec default).', { validate: between(-1, 9), dynamic: true }),
  def('compression.lz4.level', 'int', 9, 'lz4 level when compression.type is lz4.', { validate: between(1, 17), dynamic: true }),
  def('compression.zstd.level', 'int', 3, 'zstd level when compression.type is zstd.', { validate: between(-131072, 22), dynamic: true }),
  def('log.message.timestamp.type', 'string', 'CreateTime', 'CreateTime keeps the producer timestamp; LogAppendTime stamps the broker time (message.timestamp.type).', { validate: oneOf('CreateTime', 'LogAppendTime'), dynamic: true }),
  def('log.message.timestamp.difference.max.ms', 'long', LONG_MAX, 'Deprecated (Kafka 3.6): maximum difference between a CreateTime timestamp and the broker time; overridden by the before/after keys when those are set.', { validate: atLeast(0), dynamic: true }),
  def('log.message.timestamp.before.max.ms', 'long', LONG_MAX, 'Reject batches whose CreateTime is further than this in the past (message.timestamp.before.max.ms).', { validate: atLeast(0), dynamic: true }),
  def('log.message.timestamp.after.max.ms', 'long', 3600000, 'Reject batches whose CreateTime is further than this in the future (message.timestamp.after.max.ms). Kafka 4.0 default: one hour.', { validate: atLeast(0), dynamic: true }),
  def('min.insync.replicas', 'int', 1, 'Minimum ISR size for acks=all (always satisfied on a single broker when 1).', { validate: atLeast(1), dynamic: true }),
  def('unclean.leader.election.enable', 'boolean', false, 'In a cluster: when no in-sync replica of a partition is live, elect the first live out-of-sync replica anyway (its missing records are lost); the topic config overrides it (docs/cluster.md).', { dynamic: true }),

  // --- Topics
  def('num.partitions', 'int', 1, 'Partitions of an auto-created topic, and of CreateTopics with numPartitions=-1.', { validate: atLeast(1) }),
  def('default.replication.factor', 'int', 1, 'Replication factor of auto-created topics and of CreateTopics with replicationFactor=-1.', { validate: atLeast(1) }),
  def('auto.create.topics.enable', 'boolean', true, 'Create a topic when Metadata (with allowAutoTopicCreation), Produce or FindCoordinator names an unknown one.'),
  def('delete.topic.enable', 'boolean', true, 'Allow DeleteTopics; when false it answers TOPIC_DELETION_DISABLED.'),
  def('sherwood.max.broker.partitions', 'int', 100000, 'Sherwood-specific: the most partition replicas one broker may hold; a CreateTopics, CreatePartitions or auto-creation that would exceed it answers POLICY_VIOLATION. Kafka has no such limit (KIP-578 proposed max.broker.partitions).', { validate: atLeast(1) }),
  def('metadata.log.max.record.bytes.between.snapshots', 'long', 20971520, 'Bytes of metadata journal after which the metadata image is snapshotted and a fresh journal started.', { validate: atLeast(1) }),

  // --- Fetching
  def('fetch.max.bytes', 'int', 57671680, 'Upper bound on a Fetch response\'s size, whatever the client asks.', { validate: atLeast(1024) }),
  def('replica.fetch.max.bytes', 'int', 1048576, 'In a cluster: the bytes a follower asks per partition in one Fetch (the first batch comes whole even if larger).', { validate: atLeast(0) }),
  def('replica.fetch.response.max.bytes', 'int', 10485760, 'In a cluster: the bytes a follower asks per Fetch response, over all partitions.', { validate: atLeast(0) }),
  def('replica.fetch.wait.max.ms', 'int', 500, 'In a cluster: how long a follower\'s Fetch waits at the leader for replica.fetch.min.bytes. Keep it below replica.lag.time.max.ms.', { validate: atLeast(0) }),
  def('replica.fetch.min.bytes', 'int', 1, 'In a cluster: the bytes a follower\'s Fetch waits for (up to replica.fetch.wait.max.ms).', { validate: atLeast(1) }),
  def('replica.socket.timeout.ms', 'int', 30000, 'In a cluster: how long a follower waits for a connection to its leader or an OffsetForLeaderEpoch answer (a Fetch waits replica.fetch.wait.max.ms longer).', { validate: atLeast(1) }),
  def('replica.fetch.backoff.ms', 'int', 1000, 'In a cluster: how long a follower waits after a failed fetch (an error from the leader or a lost connection).', { validate: atLeast(0) }),
  def('replica.lag.time.max.ms', 'long', 30000, 'A follower that has not caught up with the leader for this long leaves the ISR (checked every half of it); the high watermark waits for followers caught up within it.', { validate: atLeast(1) }),
  def('replica.high.watermark.checkpoint.interval.ms', 'long', 5000, 'How often each log dir\'s replication-offset-checkpoint (the high watermarks) is written; also written on shutdown.', { validate: atLeast(1) }),
  def('max.incremental.fetch.session.cache.slots', 'int', 1000, 'Maximum number of incremental fetch sessions (KIP-227) kept.', { validate: atLeast(0) }),

  // --- Consumer groups and offsets
  def('offsets.topic.num.partitions', 'int', 50, 'Partitions of __consumer_offsets (fixed once the topic exists).', { validate: atLeast(1) }),
  def('offsets.topic.replication.factor', 'int', 3, 'Replication factor of __consumer_offsets in a cluster (created on first use; COORDINATOR_NOT_AVAILABLE while fewer brokers are live). A standalone broker always uses 1.', { validate: atLeast(1) }),
  def('offsets.topic.segment.bytes', 'int', 104857600, 'segment.bytes of __consumer_offsets.', { validate: atLeast(1) }),
  def('offsets.retention.minutes', 'int', 10080, 'Committed offsets of an empty group expire after this many minutes.', { validate: atLeast(1) }),
  def('offsets.retention.check.interval.ms', 'long', 600000, 'How often expired offsets are removed.', { validate: atLeast(1) }),
  def('offsets.commit.timeout.ms', 'int', 5000, 'How long an offset commit waits for the write to complete.', { validate: atLeast(1) }),
  def('offset.metadata.max.bytes', 'int', 4096, 'Largest metadata string accepted with an offset commit (OFFSET_METADATA_TOO_LARGE beyond).'),
  def('group.initial.rebalance.delay.ms', 'int', 3000, 'How long a new (empty) group waits for more members before its first rebalance.', { validate: atLeast(0) }),
  def('group.min.session.timeout.ms', 'int', 6000, 'Smallest session timeout a member may ask for (INVALID_SESSION_TIMEOUT below).'),
  def('group.max.session.timeout.ms', 'int', 1800000, 'Largest session timeout a member may ask for (INVALID_SESSION_TIMEOUT above).'),
  def('group.max.size', 'int', INT_MAX, 'Maximum members of one classic group (GROUP_MAX_SIZE_REACHED beyond).', { validate: atLeast(1) }),
  def('group.coordinator.rebalance.protocols', 'list', ['classic'], 'Enabled group protocols; Sherwood implements classic. No effect yet in Sherwood.', { validate: listOf('classic', 'consumer', 'share', 'streams') }),

  // --- Transactions and producer state
  def('transaction.state.log.num.partitions', 'int', 50, 'Partitions of __transaction_state.', { validate: atLeast(1) }),
  def('transaction.state.log.replication.factor', 'int', 3, 'Replication factor of __transaction_state in a cluster (created on first use; COORDINATOR_NOT_AVAILABLE while fewer brokers are live). A standalone broker always uses 1.', { validate: atLeast(1) }),
  def('transaction.state.log.min.isr', 'int', 2, 'min.insync.replicas of __transaction_state (capped at its replication factor, so 1 on a standalone broker).', { validate: atLeast(1) }),
  def('transaction.state.log.segment.bytes', 'int', 104857600, 'segment.bytes of __transaction_state.', { validate: atLeast(1) }),
  def('transaction.max.timeout.ms', 'int', 900000, 'Largest transaction timeout a producer may ask for (INVALID_TRANSACTION_TIMEOUT above).', { validate: atLeast(1) }),
  def('transactional.id.expiration.ms', 'int', 604800000, 'A transactional id in Empty, CompleteCommit or CompleteAbort without activity for this long is removed.', { validate: atLeast(1), dynamic: true }),
  def('producer.id.expiration.ms', 'int', 86400000, 'A producer\'s state on a partition (epoch, last sequences) is forgotten after this long without writes, unless it has a transaction open.', { validate: atLeast(1), dynamic: true }),
  def('producer.id.expiration.check.interval.ms', 'int', 600000, 'How often idle producers are expired (producer.id.expiration.ms).', { validate: atLeast(1) }),
  def('transaction.abort.timed.out.transaction.cleanup.interval.ms', 'int', 10000, 'How often open transactions past their transaction.timeout.ms are aborted (their producer fenced).', { validate: atLeast(1) }),
  def('transaction.remove.expired.transaction.cleanup.interval.ms', 'int', 3600000, 'How often transactional ids idle past transactional.id.expiration.ms are removed.', { validate: atLeast(1) }),
  def('transaction.partition.verification.enable', 'boolean', true, 'KIP-890: a transactional write must be to a partition already added to the producer\'s transaction (checked for TxnOffsetCommit).', { dynamic: true }),
  def('transaction.version', 'int', 2, 'The finalized level of the transaction.version feature (Kafka sets it with kafka-features.sh): 2 lets clients that support it (the Java client 4.x) use Transaction V2 (KIP-890 part 2: EndTxn v5 with an epoch bump per transaction, partitions added by Produce v12 / TxnOffsetCommit v5); 1 or 0 keeps them on Transaction V1. 0 also writes __transaction_state values in version 0.', { validate: between(0, 2) }),
  def('request.timeout.ms', 'int', 30000, 'How long the broker\'s own writes wait for acks=all: __transaction_state appends and transaction markers.', { validate: atLeast(0) }),

  // --- Share groups (Kafka 4.x stock server.properties carries these)
  def('share.coordinator.state.topic.replication.factor', 'int', 1, IGNORED, { validate: atLeast(1) }),
  def('share.coordinator.state.topic.min.isr', 'int', 1, IGNORED, { validate: atLeast(1) }),

  // --- Security
  def('sasl.enabled.mechanisms', 'list', ['GSSAPI'], 'SASL mechanisms offered on SASL listeners. No effect yet in Sherwood.', { dynamic: true }),
  def('sasl.mechanism.inter.broker.protocol', 'string', 'GSSAPI', IGNORED),
  def('authorizer.class.name', 'string', '', 'An authorizer enables ACL checks; empty disables authorization. No effect yet in Sherwood.'),
  def('super.users', 'list', [], 'Principals (User:name) that bypass ACLs. No effect yet in Sherwood.'),
  def('allow.everyone.if.no.acl.found', 'boolean', false, 'With an authorizer, allow access to resources that have no ACLs. No effect yet in Sherwood.'),
];

const DEF_BY_NAME: ReadonlyMap<string, ConfigDef> = new Map(BROKER_CONFIG_DEFS.map((d) => [d.name, d]));

/** Keys with these prefixes are per-listener settings; they are kept as strings, unvalidated. */
const PASS_THROUGH_PREFIXES = ['listener.name.'];

export function configDef(name: string): ConfigDef | undefined {
  return DEF_BY_NAME.get(name);
}

/** Parses one value as its type; throws ConfigError naming the key. */
export function parseConfigValue(d: ConfigDef, raw: string): ConfigValue {
  const text = raw.trim();
  const bad = (why: string) => new ConfigError(`${d.name}: invalid value '${raw}' (${why})`);
  let value: ConfigValue;
  switch (d.type) {
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(text)) throw bad(`expected ${d.type === 'int' ? 'an int' : 'a long'}`);
      const n = Number(text);
      if (d.type === 'int' && (n > INT_MAX || n < -INT_MAX - 1)) throw bad('out of int range');
      if (d.type === 'long' && Math.abs(n) > LONG_MAX) throw bad('out of long range');
      value = n;
      break;
    }
    case 'double': {
      const n = Number(text);
      if (text === '' || !Number.isFinite(n)) throw bad('expected a number');
      value = n;
      break;
    }
    case 'boolean': {
      const t = text.toLowerCase();
      if (t !== 'true' && t !== 'false') throw bad('expected true or false');
      value = t === 'true';
      break;
    }
    case 'list':
      value = text === '' ? [] : text.split(',').map((s) => s.trim()).filter((s) => s !== '');
      break;
    default:
      value = text;
  }
  const err = d.validate?.(value) ?? null;
  if (err !== null) throw bad(err);
  return value;
}

/** Renders a value the way Kafka's DescribeConfigs shows it. */
export function formatConfigValue(value: ConfigValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  if (typeof value === 'number') {
    if (value >= LONG_MAX) return '9223372036854775807';
    return String(value);
  }
  return String(value);
}

export interface ConfigEntry {
  name: string;
  value: string | null;
  source: ConfigSource;
  isDefault: boolean;
  readOnly: boolean;
  isSensitive: boolean;
  type: ConfigType;
  doc: string;
}

export interface Listener {
  name: string;
  securityProtocol: string;
  host: string;
  port: number;
}

export class BrokerConfig {
  private readonly staticValues = new Map<string, ConfigValue>();
  private readonly dynamicValues = new Map<string, ConfigValue>();
  /** listener.name.* keys, unvalidated. */
  readonly passThrough: ReadonlyMap<string, string>;

  private constructor(staticValues: Map<string, ConfigValue>, passThrough: Map<string, string>) {
    this.staticValues = staticValues;
    this.passThrough = passThrough;
  }

  /** Validates every key and value; throws ConfigError naming the first bad key. */
  static fromProperties(props: Record<string, string>): BrokerConfig {
    const values = new Map<string, ConfigValue>();
    const passThrough = new Map<string, string>();
    for (const [name, raw] of Object.entries(props)) {
      const d = DEF_BY_NAME.get(name);
      if (d === undefined) {
        if (PASS_THROUGH_PREFIXES.some((p) => name.startsWith(p))) {
          passThrough.set(name, raw);
          continue;
        }
        throw new ConfigError(`${name}: unknown configuration key`);
      }
      values.set(name, parseConfigValue(d, raw));
    }
    const config = new BrokerConfig(values, passThrough);
    config.validateCombination();
    return config;
  }

  static defaults(): BrokerConfig {
    return BrokerConfig.fromProperties({});
  }

  private validateCombination(): void {
    const nodeId = this.staticValues.get('node.id');
    const brokerId = this.getInt('broker.id');
    if (nodeId !== undefined && brokerId >= 0 && brokerId !== nodeId) {
      throw new ConfigError(`broker.id: ${brokerId} does not match node.id ${String(nodeId)}`);
    }
    this.listeners();
    this.advertisedListeners(new Map());
    if (this.logDirs().length === 0) throw new ConfigError('log.dirs: no log directory configured');
  }

  private def(name: string): ConfigDef {
    const d = DEF_BY_NAME.get(name);
    if (d === undefined) throw new ConfigError(`${name}: unknown configuration key`);
    return d;
  }

  get<T extends ConfigValue = ConfigValue>(name: string): T {
    const d = this.def(name);
    if (this.dynamicValues.has(name)) return this.dynamicValues.get(name) as T;
    if (this.staticValues.has(name)) return this.staticValues.get(name) as T;
    return d.default as T;
  }

  getInt(name: string): number {
    return this.get<number>(name);
  }

  getLong(name: string): number {
    return this.get<number>(name);
  }

  getDouble(name: string): number {
    return this.get<number>(name);
  }

  getString(name: string): string {
    return this.get<string>(name);
  }

  getBoolean(name: string): boolean {
    return this.get<boolean>(name);
  }

  getList(name: string): string[] {
    return this.get<string[] | null>(name) ?? [];
  }

  has(name: string): boolean {
    return DEF_BY_NAME.has(name);
  }

  isDefault(name: string): boolean {
    this.def(name);
    return !this.dynamicValues.has(name) && !this.staticValues.has(name);
  }

  isDynamic(name: string): boolean {
    return this.def(name).dynamic === true;
  }

  source(name: string): ConfigSource {
    this.def(name);
    if (this.dynamicValues.has(name)) return 'DYNAMIC_BROKER_CONFIG';
    if (this.staticValues.has(name)) return 'STATIC_BROKER_CONFIG';
    return 'DEFAULT_CONFIG';
  }

  /**
   * Sets (or with null, removes) a dynamic broker-level value. Throws ConfigError for unknown
   * keys, keys that are not dynamic, and bad values; callers map that to INVALID_CONFIG.
   */
  set(name: string, value: string | null): void {
    const d = this.def(name);
    if (d.dynamic !== true) throw new ConfigError(`${name}: cannot be updated dynamically`);
    if (value === null) this.dynamicValues.delete(name);
    else this.dynamicValues.set(name, parseConfigValue(d, value));
  }

  entries(): ConfigEntry[] {
    return BROKER_CONFIG_DEFS.map((d) => ({
      name: d.name,
      value: d.type === 'password' ? null : formatConfigValue(this.get(d.name)),
      source: this.source(d.name),
      isDefault: this.isDefault(d.name),
      readOnly: d.dynamic !== true,
      isSensitive: d.type === 'password',
      type: d.type,
      doc: d.doc,
    }));
  }

  // --- Derived values

  nodeId(): number {
    if (this.staticValues.has('node.id')) return this.getInt('node.id');
    const brokerId = this.getInt('broker.id');
    return brokerId >= 0 ? brokerId : this.getInt('node.id');
  }

  logDirs(): string[] {
    const dirs = this.get<string[] | null>('log.dirs');
    return dirs !== null ? dirs : [this.getString('log.dir')];
  }

  logLevel(): LogLevel {
    return this.getString('log.level') as LogLevel;
  }

  retentionMs(): number {
    const ms = this.get<number | null>('log.retention.ms');
    if (ms !== null) return ms < 0 ? -1 : ms;
    const minutes = this.get<number | null>('log.retention.minutes');
    if (minutes !== null) return minutes < 0 ? -1 : minutes * 60_000;
    const hours = this.getInt('log.retention.hours');
    return hours < 0 ? -1 : hours * HOUR_MS;
  }

  rollMs(): number {
    return this.get<number | null>('log.roll.ms') ?? this.getInt('log.roll.hours') * HOUR_MS;
  }

  flushMs(): number {
    return this.get<number | null>('log.flush.interval.ms') ?? this.getLong('log.flush.scheduler.interval.ms');
  }

  securityProtocolMap(): Map<string, string> {
    const map = new Map<string, string>();
    for (const entry of this.getList('listener.security.protocol.map')) {
      const [name, protocol] = entry.split(':');
      if (name === undefined || protocol === undefined || name === '' || protocol === '') {
        throw new ConfigError(`listener.security.protocol.map: invalid entry '${entry}'`);
      }
      map.set(name.toUpperCase(), protocol.toUpperCase());
    }
    return map;
  }

  /** The listeners to bind; throws ConfigError on a malformed entry or unsupported protocol. */
  listeners(): Listener[] {
    return parseListeners('listeners', this.getList('listeners'), this.securityProtocolMap());
  }

  /**
   * The listeners clients are told about. `boundPorts` maps listener name to the port actually
   * bound, which replaces port 0. An empty host advertises this machine's hostname, as Kafka does.
   */
  advertisedListeners(boundPorts: ReadonlyMap<string, number>): Listener[] {
    const explicit = this.get<string[] | null>('advertised.listeners');
    const list = explicit === null ? this.listeners() : parseListeners('advertised.listeners', explicit, this.securityProtocolMap());
    return list.map((l) => ({
      ...l,
      host: l.host === '' || l.host === '0.0.0.0' || l.host === '::' ? hostname() : l.host,
      port: l.port === 0 ? boundPorts.get(l.name) ?? 0 : l.port,
    }));
  }

  /** The broker-wide defaults of every topic's LogConfig (topic configs override them). */
  defaultLogConfig(): LogConfig {
    const cap = (v: number) => Math.min(v, Number.MAX_SAFE_INTEGER);
    const policy = this.getList('log.cleanup.policy');
    return {
      segmentBytes: this.getInt('log.segment.bytes'),
      segmentMs: cap(this.rollMs()),
      segmentIndexBytes: this.getInt('log.index.size.max.bytes'),
      indexIntervalBytes: this.getInt('log.index.interval.bytes'),
      retentionMs: cap(this.retentionMs()),
      retentionBytes: cap(this.getLong('log.retention.bytes')),
      cleanupPolicy: { delete: policy.includes('delete'), compact: policy.includes('compact') },
      deleteRetentionMs: cap(this.getLong('log.cleaner.delete.retention.ms')),
      minCleanableDirtyRatio: this.getDouble('log.cleaner.min.cleanable.ratio'),
      minCompactionLagMs: cap(this.getLong('log.cleaner.min.compaction.lag.ms')),
      flushMessages: cap(this.getLong('log.flush.interval.messages')),
      flushMs: cap(this.flushMs()),
      maxMessageBytes: this.getInt('message.max.bytes'),
      messageTimestampType: this.getString('log.message.timestamp.type') as LogConfig['messageTimestampType'],
      fileDeleteDelayMs: cap(this.getLong('log.segment.delete.delay.ms')),
    };
  }
}

// SASL_PLAINTEXT would be accepted here once SASL handlers exist; serving it unauthenticated would
// silently drop the security the operator asked for, so it is refused until then.
const SUPPORTED_PROTOCOLS = new Set(['PLAINTEXT']);

function parseListeners(key: string, entries: string[], protocols: Map<string, string>): Listener[] {
  const out: Listener[] = [];
  for (const entry of entries) {
    const m = /^([A-Za-z0-9_]+):\/\/(\[[^\]]*\]|[^:/]*):(\d+)$/.exec(entry);
    if (m === null) throw new ConfigError(`${key}: invalid listener '${entry}' (expected NAME://host:port)`);
    const name = m[1]!.toUpperCase();
    const protocol = protocols.get(name) ?? (SUPPORTED_PROTOCOLS.has(name) ? name : undefined);
    if (protocol === undefined) throw new ConfigError(`${key}: listener '${name}' has no entry in listener.security.protocol.map`);
    if (!SUPPORTED_PROTOCOLS.has(protocol)) throw new ConfigError(`${key}: security protocol ${protocol} of listener '${name}' is not supported yet (only PLAINTEXT)`);
    const port = Number(m[3]);
    if (port > 65535) throw new ConfigError(`${key}: invalid port in '${entry}'`);
    if (out.some((l) => l.name === name)) throw new ConfigError(`${key}: listener name '${name}' appears twice`);
    const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
    out.push({ name, securityProtocol: protocol, host, port });
  }
  if (out.length === 0) throw new ConfigError(`${key}: no listener configured`);
  return out;
}

/** Turns StartBrokerOptions into the flat property map BrokerConfig validates. */
/** startBroker's `cluster` section: the etcd.connect family of settings, as options. */
export interface ClusterMembershipOptions {
  /** etcd members' client addresses, 'host:port' each (the JSON gateway over http). */
  etcd: string | readonly string[];
  /** The key prefix this cluster lives under (etcd.connect's `/prefix`); '' or absent: `/`. */
  prefix?: string;
  /** etcd.session.timeout.ms */
  sessionTimeoutMs?: number;
  /** broker.rack */
  rack?: string;
}

export function brokerProperties(options: {
  host?: string; port?: number; dataDir?: string; nodeId?: number; logLevel?: LogLevel; overrides?: Record<string, string>;
  cluster?: ClusterMembershipOptions;
}): Record<string, string> {
  const props: Record<string, string> = { ...options.overrides };
  const cluster = options.cluster;
  if (cluster !== undefined) {
    const hosts = typeof cluster.etcd === 'string' ? [cluster.etcd] : [...cluster.etcd];
    const prefix = cluster.prefix ?? '';
    props['etcd.connect'] = hosts.join(',') + (prefix === '' || prefix.startsWith('/') ? prefix : `/${prefix}`);
    if (cluster.sessionTimeoutMs !== undefined) props['etcd.session.timeout.ms'] = String(cluster.sessionTimeoutMs);
    if (cluster.rack !== undefined) props['broker.rack'] = cluster.rack;
  }
  if (options.dataDir !== undefined) {
    props['log.dirs'] = options.dataDir;
    delete props['log.dir'];
  }
  if (options.nodeId !== undefined) {
    props['node.id'] = String(options.nodeId);
    delete props['broker.id'];
  }
  if (options.logLevel !== undefined) props['log.level'] = options.logLevel;
  if ((options.host !== undefined || options.port !== undefined) && options.overrides?.['listeners'] === undefined) {
    props['listeners'] = `PLAINTEXT://${options.host ?? '127.0.0.1'}:${options.port ?? 9092}`;
  }
  return props;
}

/**
 * Parses Java .properties text (server.properties): `#`/`!` comments, `key=value`,
 * `key: value` or `key value`, backslash line continuation and the usual escapes.
 */
export function parseServerProperties(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, '');
    }
    if (endsWithOddBackslashes(line)) line = line.slice(0, -1);
    let sep = -1;
    for (let j = 0; j < line.length; j++) {
      const c = line[j]!;
      if (c === '\\') {
        j++;
        continue;
      }
      if (c === '=' || c === ':' || c === ' ' || c === '\t' || c === '\f') {
        sep = j;
        break;
      }
    }
    const rawKey = sep < 0 ? line : line.slice(0, sep);
    let rest = sep < 0 ? '' : line.slice(sep);
    rest = rest.replace(/^[ \t\f]*/, '');
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]*/, '');
    out[unescapeProperty(rawKey)] = unescapeProperty(rest);
  }
  return out;
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_m, e: string) => {
    if (e.length === 5) return String.fromCharCode(parseInt(e.slice(1), 16));
    switch (e) {
      case 't': return '\t';
      case 'n': return '\n';
      case 'r': return '\r';
      case 'f': return '\f';
      default: return e;
    }
  });
}
