/**
 * startBroker: configuration → storage (LogManager) → metadata (journal → image, TopicManager;
 * with etcd.connect the shared log in etcd instead, see etcd-cluster.ts)
 * → partition layer (ReplicaManager: logs reconciled with the image, leaders made, high
 * watermarks restored; coordinators load on those elections) → Broker with its typed services
 * → sockets → (a cluster) registration in etcd and the cluster controller.
 *
 * Configuration precedence (lowest first): Kafka defaults, `overrides` (what
 * `sherwood server` builds from server.properties and --override), then the explicit options
 * `dataDir` (log.dirs), `nodeId` (node.id), `logLevel` (log.level), and `host`/`port` (which
 * set listeners unless `overrides` already does).
 *
 * Identity: `<dir>/meta.properties` (version=1, cluster.id, node.id, directory.id, as Kafka
 * writes it) is read from the first log dir that has one and written to those that do not.
 * The cluster id is a random 16-byte UUID in Kafka's 22-character base64url form, reused on
 * every restart. A stored node.id that differs from the configured one is a ConfigError.
 *
 * Handlers are discovered, not listed: every module in ./handlers/ whose name does not start
 * with `_` and is not index has `export default defineHandler(...)` or an array of them. The
 * directory is found through import.meta.url, so this works for .ts under tsx and for the
 * compiled .js in dist. A module that fails to import is logged and skipped, so one broken
 * handler does not take the broker down; its API is then simply not advertised.
 */
import { readdir } from 'node:fs/promises';
import { join, resolve as resolvePath } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { systemClock, type Clock } from '../base/clock.js';
import { ConfigError } from '../base/errors.js';
import { createLogger, type Logger, type LogLevel } from '../base/logger.js';
import { randomUuid, systemRandom, type Random } from '../base/random.js';
import { MemoryFileSystem, nodeFileSystem, type FileSystem } from '../base/file-system.js';
import { tcpTransport, type Transport } from '../base/transport.js';
import type { MetadataStore } from '../cluster/metadata/metadata-store.js';
import type { BrokerMembership } from '../cluster/membership/broker-membership.js';
import { ReplicaFetcherManager } from '../cluster/replication/replica-fetcher-manager.js';
import { LogManager } from '../storage/log-manager.js';
import { TopicManager } from '../cluster/topic-manager.js';
import { FileMetadataStore } from '../cluster/metadata/file-metadata-store.js';
import { ReplicaManager } from '../cluster/replica-manager.js';
import { resolveTopicSettings } from '../cluster/topic-settings.js';
import { ClusterController } from '../cluster/controller/cluster-controller.js';
import { controlledShutdown } from '../cluster/membership/controlled-shutdown-request.js';
import { openEtcdCluster } from './etcd-cluster.js';
import { Broker } from './broker.js';
import { ClusterAddPartitionsToTxnSender, ClusterTransactionMarkerWriter, PeerChannels } from './inter-broker-txn.js';
import { BrokerConfig, brokerProperties, parseServerProperties, type ClusterMembershipOptions } from './config.js';

export { brokerProperties };
import type { Handler } from './handler.js';
import { RequestRouter } from './request-router.js';
import { SocketServer } from './server.js';
import type { RequestMemoryPool } from './request-memory-pool.js';

export interface StartBrokerOptions {
  /**
   * 'embedded' (the default for startBroker): defaults suited to a broker inside a Node process
   * or test suite — `group.initial.rebalance.delay.ms=0` (the first group member does not wait
   * 3 s) and log level `warn`. 'server' (`sherwood server`): Kafka's defaults as they are. Either
   * way, `overrides` and `logLevel` win.
   */
  profile?: 'embedded' | 'server';
  host?: string;
  port?: number;
  dataDir?: string;
  inMemory?: boolean;
  overrides?: Record<string, string>;
  logLevel?: LogLevel;
  nodeId?: number;
  clock?: Clock;
  random?: Random;
  fs?: FileSystem;
  /** The network (TCP by default; a MemoryTransport keeps every connection in the process). */
  transport?: Transport;
  /** Defaults to a stderr logger at log.level. */
  logger?: Logger;
  /**
   * A shared metadata store makes this broker a cluster member (metadata-store.ts: a
   * compare-and-set log other brokers append to too, e.g. SharedMemoryMetadataStore in one
   * process): it registers its listeners there, follows the leaders the metadata names
   * (replica fetchers over `transport`) and proposes ISR changes. Without one the broker keeps
   * its metadata in its own journal and is the whole cluster.
   */
  metadataStore?: MetadataStore;
  /**
   * A write to a log dir failed (disk full, I/O error). Kafka halts a broker whose log dirs
   * have all failed, and Sherwood treats any failed dir so: `sherwood server` exits with status
   * 1 (leaderships then move as after a crash). The default here, inside someone else's
   * process, closes the broker instead.
   */
  onLogDirFailure?: (dir: string, err: Error) => void;
  /**
   * Joins a cluster whose metadata lives in etcd (docs/cluster.md): the same as the overrides
   * `etcd.connect` (etcd + prefix), `etcd.session.timeout.ms` and `broker.rack`, which this
   * section replaces when both are given. Give every member its own `nodeId` and `dataDir`.
   */
  cluster?: ClusterMembershipOptions;
}

export interface RunningBroker {
  host: string;
  port: number;
  /** 'host:port' of the first advertised listener. */
  bootstrap: string;
  broker: Broker;
  /** The connections' shared memory bound (queued.max.request.bytes): accounting for tests and tools. */
  memoryPool: RequestMemoryPool;
  close(): Promise<void>;
}

/** The embedded profile's defaults (see StartBrokerOptions.profile); explicit settings win. */
const EMBEDDED_DEFAULTS: Readonly<Record<string, string>> = {
  'group.initial.rebalance.delay.ms': '0',
  'log.level': 'warn',
};

/** An in-memory broker's log dir: a path inside its MemoryFileSystem, never a directory on disk. */
export const IN_MEMORY_LOG_DIR = '/in-memory/sherwood-data';

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const props = brokerProperties(options);
  if ((options.profile ?? 'embedded') === 'embedded') {
    for (const [k, v] of Object.entries(EMBEDDED_DEFAULTS)) if (props[k] === undefined) props[k] = v;
  }
  const inMemory = options.inMemory === true && options.fs === undefined;
  if (inMemory && props['log.dirs'] === undefined && props['log.dir'] === undefined) props['log.dirs'] = IN_MEMORY_LOG_DIR;
  const config = BrokerConfig.fromProperties(props);
  const logger = options.logger ?? createLogger(config.logLevel());
  const clock = options.clock ?? systemClock;
  const random = options.random ?? systemRandom;
  const fs = options.fs ?? fileSystemFor(options);
  const dirs = config.logDirs().map((d) => (inMemory ? d : resolvePath(d)));
  const nodeId = config.nodeId();

  for (const dir of dirs) await fs.mkdirp(dir);
  // A cluster (etcd.connect): metadata, membership and the cluster id come from etcd.
  const etcdConnect = config.get<string | null>('etcd.connect');
  const cluster = etcdConnect === null ? null : openEtcdCluster({
    connect: etcdConnect, sessionTimeoutMs: config.getInt('etcd.session.timeout.ms'), clock, random, logger,
  });
  let clusterId: string;
  try {
    clusterId = await loadOrCreateMetaProperties(fs, dirs, nodeId, random, clock, cluster === null ? null : await cluster.clusterId(randomClusterId(random), config.getInt('initial.broker.registration.timeout.ms')));
  } catch (err) {
    await cluster?.close();
    throw err;
  }
  const handlers = await loadHandlers(logger);

  // The broker being closed because a log dir failed (embedded default; see onLogDirFailure).
  let closeAfterDirFailure: (() => Promise<void>) | null = null;
  const logs = await LogManager.open({
    fs, dirs, clock, logger,
    onLogDirFailure: (dir, err) => {
      logger.error(`log dir ${dir} failed; shutting the broker down as Kafka does when its log dirs have failed`, { error: err.message });
      if (options.onLogDirFailure !== undefined) options.onLogDirFailure(dir, err);
      else void closeAfterDirFailure?.().catch((e: unknown) => logger.error('closing after a log dir failure failed', { error: String(e) }));
    },
    retentionCheckIntervalMs: timerMs(config.getLong('log.retention.check.interval.ms')),
    cleanerBackoffMs: timerMs(config.getLong('log.cleaner.backoff.ms')),
    flushCheckIntervalMs: config.isDefault('log.flush.scheduler.interval.ms') ? undefined : timerMs(config.getLong('log.flush.scheduler.interval.ms')),
    checkpointIntervalMs: timerMs(config.getInt('log.flush.offset.checkpoint.interval.ms')),
    maxOpenFiles: config.getInt('sherwood.log.max.open.files'),
    producerIdExpirationCheckIntervalMs: timerMs(config.getInt('producer.id.expiration.check.interval.ms')),
    // A getter: producer.id.expiration.ms is dynamic.
    producerStateConfig: { get producerIdExpirationMs() { return config.getInt('producer.id.expiration.ms'); } },
  });
  // Metadata: the journal in the first log dir → the image (the partition layer follows it below).
  // In a cluster: the shared log in etcd (or a store given by the embedder, as an in-process
  // cluster's SharedMemoryMetadataStore) instead, and with etcd the live set decides placement.
  const clustered = cluster !== null || options.metadataStore !== undefined;
  const store = cluster?.store ?? options.metadataStore ?? new FileMetadataStore({
    fs, logDir: dirs[0]!, logger, nodeId,
    snapshotIntervalBytes: config.getLong('metadata.log.max.record.bytes.between.snapshots'),
  });
  let topics: TopicManager;
  try {
    topics = await TopicManager.open({
      store, config, random, logger, nodeId, rack: config.get<string | null>('broker.rack'), clustered,
      // Adopting logs found on disk is for a lone broker's first start, never a cluster member's.
      ...(clustered ? {} : { adoptOnFirstStart: () => logs.all().map((l) => ({ topic: l.topic, partition: l.partition })) }),
      ...(cluster === null ? {} : { liveBrokers: () => withSelf(cluster.membership.liveBrokers(), nodeId, config.get<string | null>('broker.rack')) }),
    });
  } catch (err) {
    await store.close();
    await cluster?.close();
    await logs.close();
    throw err;
  }
  // The partition layer follows the image: logs created or deleted, leaders made, high
  // watermarks restored. The group and transaction runtimes listen to __consumer_offsets /
  // __transaction_state leadership, so they attach before the partitions start (their
  // elections load their shards).
  const replicaManager = new ReplicaManager({
    localBrokerId: nodeId, logs, fs, clock, logger,
    topicSettings: (topic) => resolveTopicSettings(topics, config.getLong('replica.lag.time.max.ms'), topic),
    highWatermarkCheckpointIntervalMs: timerMs(config.getLong('replica.high.watermark.checkpoint.interval.ms')),
    ...(clustered ? { replication: {
      ...replicationServices(config, topics, options.transport ?? tcpTransport, clock, logger, nodeId),
      // With etcd, a broker whose session is gone may not hold the high watermark (KIP-841).
      // A broker in controlled shutdown is not taken (back) into an ISR either.
      ...(cluster === null ? {} : { isReplicaIsrEligible: (id: number) => id === nodeId || isIsrEligible(cluster.membership.liveBrokers().get(id)) }),
    } } : {}),
  });
  let peers: PeerChannels | null = null;
  const broker = new Broker({
    config, nodeId, clusterId, clock, random, logger, fs, logs, topics, replicaManager, handlers,
    ...(cluster === null ? {} : { membership: cluster.membership }),
  });
  try {
    topics.addListener(replicaManager);
    broker.groups.attach();
    broker.transactions.attach();
    if (clustered) peers = useInterBrokerTransactions(broker, config, topics, options.transport ?? tcpTransport, clock, logger, nodeId);
    await replicaManager.startup(topics.image);
  } catch (err) {
    broker.closeServices();
    peers?.close();
    await replicaManager.shutdown();
    await topics.close();
    await cluster?.close();
    await logs.close();
    throw err;
  }
  const router = new RequestRouter(broker);
  const server = new SocketServer(router, logger, {
    maxRequestBytes: config.getInt('socket.request.max.bytes'),
    maxQueuedBytes: config.getInt('socket.request.max.bytes'),
    idleTimeoutMs: timerMs(config.getLong('connections.max.idle.ms')),
    queuedMaxRequestBytes: config.getLong('queued.max.request.bytes'),
  }, options.transport);

  // Shutdown order: waiters and coordinators, then partitions (final high watermark
  // checkpoint), then the metadata store, then the logs (flush, clean-shutdown marker).
  let controller: ClusterController | null = null;
  const shutdownStorage = async () => {
    // A cluster member leaves first (its lease revoked: the controller moves its leaderships
    // at once instead of after the session timeout).
    controller?.close();
    await cluster?.membership.close();
    broker.closeServices();
    peers?.close();
    await replicaManager.shutdown();
    await topics.close();
    await cluster?.close();
    await logs.close();
  };

  let bound;
  try {
    bound = await server.listen(config.listeners());
  } catch (err) {
    await shutdownStorage();
    throw err;
  }
  broker.setAdvertisedListeners(config.advertisedListeners(new Map(bound.map((b) => [b.name, b.boundPort]))));
  const first = broker.advertisedListeners()[0]!;
  if (clustered) {
    // Join once the address is known (port 0 is bound by now): the listeners go into the
    // metadata (followers find their leaders there), then, with etcd, the membership; then
    // this broker follows the controller role.
    try {
      await topics.registerEndpoints(broker.advertisedListeners().map((l) => ({ name: l.name, host: l.host, port: l.port })));
      if (cluster !== null) {
        await cluster.membership.register({ brokerId: nodeId, host: first.host, port: first.port, rack: broker.rack });
        broker.producerIds.warmUp?.();
      }
    } catch (err) {
      await server.close();
      await shutdownStorage();
      throw err;
    }
    if (cluster !== null) {
      followSession(cluster.membership, replicaManager, logger);
      controller = new ClusterController({
        membership: cluster.membership, topics, clock, logger, sessionTimeoutMs: config.getInt('etcd.session.timeout.ms'), fenceNextAppend: (e) => cluster.fenceNextAppend(e),
        uncleanLeaderElection: (t) => (t.configs['unclean.leader.election.enable'] ?? String(config.get<boolean>('unclean.leader.election.enable'))) === 'true',
        preferredLeaderRebalance: {
          enabled: () => config.get<boolean>('auto.leader.rebalance.enable'),
          intervalMs: timerMs(config.getLong('leader.imbalance.check.interval.seconds') * 1000),
        },
      });
      controller.start();
    }
  }
  logs.startBackgroundTasks();

  logger.info('broker started', { nodeId, clusterId, listeners: bound.map((b) => `${b.name}://${b.host}:${b.boundPort}`), logDirs: inMemory ? `(in memory) ${dirs.join(',')}` : dirs, handlers: handlers.size });

  let closing: Promise<void> | null = null;
  const close = (afterDirFailure = false): Promise<void> => {
    closing ??= (async () => {
      // Kafka's controlled shutdown: leaderships move while this broker still serves (not
      // after a failed log dir: Kafka halts then, and so does this broker, at once).
      if (cluster !== null && !afterDirFailure && config.get<boolean>('controlled.shutdown.enable')) {
        await controlledShutdown({
          nodeId, membership: cluster.membership, image: () => topics.image, clock, logger,
          maxRetries: config.getInt('controlled.shutdown.max.retries'), retryBackoffMs: timerMs(config.getLong('controlled.shutdown.retry.backoff.ms')),
        });
      }
      await server.close();
      await shutdownStorage();
      logger.info('broker stopped', { nodeId });
    })();
    return closing;
  };
  closeAfterDirFailure = () => close(true);
  return {
    host: first.host,
    port: first.port,
    bootstrap: `${first.host}:${first.port}`,
    broker,
    memoryPool: server.memoryPool,
    close: () => close(),
  };
}

function isIsrEligible(b: { controlledShutdown?: boolean } | undefined): boolean {
  return b !== undefined && b.controlledShutdown !== true;
}

/**
 * A session confirmed lost (etcd says the lease is gone): stop acting as leader at once;
 * registered again: lead again where the metadata still says so (replica-manager.ts).
 */
function followSession(membership: BrokerMembership, replicaManager: ReplicaManager, logger: Logger): void {
  membership.addListener({
    sessionLost: (reason) => {
      const n = replicaManager.fenceLeaderships();
      logger.warn('etcd session lost: no longer acting as leader until the metadata confirms it', { reason, fencedLeaderships: n });
    },
    sessionRestored: () => {
      replicaManager.confirmLeaderships().then(
        (n) => logger.info('registered again: leaderships confirmed by the metadata', { confirmed: n }),
        (err: unknown) => logger.warn('confirming leaderships failed', { error: String(err) }),
      );
    },
  });
}

/** The live set with this broker in it (it counts as live from start-up, before it registers). */
function withSelf<B extends { brokerId: number; rack: string | null }>(live: ReadonlyMap<number, B>, nodeId: number, rack: string | null): ReadonlyMap<number, { brokerId: number; rack: string | null }> {
  return live.has(nodeId) ? live : new Map<number, { brokerId: number; rack: string | null }>(live).set(nodeId, { brokerId: nodeId, rack });
}

/** A cluster member's replication: fetchers per leader (replica.fetch.*) and ISR changes through the metadata. */
function replicationServices(config: BrokerConfig, topics: TopicManager, transport: Transport, clock: Clock, logger: Logger, nodeId: number) {
  const fetchers = new ReplicaFetcherManager({
    localBrokerId: nodeId, transport, clock, logger,
    endpoint: (brokerId) => {
      const endpoints = topics.image.broker(brokerId)?.endpoints ?? [];
      const name = config.get<string | null>('inter.broker.listener.name');
      return (name === null ? endpoints[0] : endpoints.find((e) => e.name === name)) ?? null;
    },
    config: () => ({
      maxBytes: config.getInt('replica.fetch.max.bytes'),
      responseMaxBytes: config.getInt('replica.fetch.response.max.bytes'),
      waitMaxMs: config.getInt('replica.fetch.wait.max.ms'),
      minBytes: config.getInt('replica.fetch.min.bytes'),
      backoffMs: config.getInt('replica.fetch.backoff.ms'),
    }),
    requestTimeoutMs: config.getInt('replica.socket.timeout.ms'),
  });
  return {
    fetchers,
    alterIsr: (topic: string, partition: number, leaderEpoch: number, partitionEpoch: number, isr: readonly number[]) =>
      topics.alterPartitionIsr(topic, partition, leaderEpoch, partitionEpoch, isr),
    replicaLagTimeMaxMs: timerMs(config.getLong('replica.lag.time.max.ms')),
  };
}

/** The transaction coordinator's requests to other brokers (markers, AddPartitionsToTxn) over their own channels. */
function useInterBrokerTransactions(broker: Broker, config: BrokerConfig, topics: TopicManager, transport: Transport, clock: Clock, logger: Logger, nodeId: number): PeerChannels {
  const peers = new PeerChannels({
    localBrokerId: nodeId, transport, clock, logger, requestTimeoutMs: config.getInt('request.timeout.ms'),
    endpoint: (brokerId) => {
      const endpoints = topics.image.broker(brokerId)?.endpoints ?? [];
      const name = config.get<string | null>('inter.broker.listener.name');
      return (name === null ? endpoints[0] : endpoints.find((e) => e.name === name)) ?? null;
    },
  });
  broker.transactions.useInterBroker({
    markerWriter: new ClusterTransactionMarkerWriter(broker, peers),
    sender: new ClusterAddPartitionsToTxnSender(broker, peers, broker.transactions.localSender),
  });
  return peers;
}

/** An in-memory broker never crashes, so it keeps no durable copy of its files (half the memory). */
function fileSystemFor(options: StartBrokerOptions): FileSystem {
  return options.inMemory === true ? new MemoryFileSystem({ trackDurability: false }) : nodeFileSystem;
}

/** Node timers overflow above 2^31-1 ms (and would fire at once); Kafka's "forever" values are larger. */
function timerMs(ms: number): number {
  return Math.max(1, Math.min(ms, 2 ** 31 - 1));
}


// --- meta.properties

/** Kafka's Uuid.toString(): 22 base64url characters, never starting with '-'. */
export function randomClusterId(random: Random): string {
  for (;;) {
    const id = randomUuid(random).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** `clusterWide`: a cluster's id (from etcd), which every log dir must carry or take. */
async function loadOrCreateMetaProperties(fs: FileSystem, dirs: string[], nodeId: number, random: Random, clock: Clock, clusterWide: string | null): Promise<string> {
  let clusterId: string | null = clusterWide;
  const missing: string[] = [];
  for (const dir of dirs) {
    const path = join(dir, 'meta.properties');
    if (!(await fs.exists(path))) {
      missing.push(dir);
      continue;
    }
    const props = parseServerProperties((await fs.readFile(path)).toString('utf8'));
    if (props['version'] !== '1' && props['version'] !== '0') throw new ConfigError(`log.dirs: ${path} has unsupported version '${props['version'] ?? ''}'`);
    const storedNode = props['node.id'] ?? props['broker.id'];
    if (storedNode !== undefined && Number(storedNode) !== nodeId) {
      throw new ConfigError(`node.id: configured ${nodeId} does not match node.id ${storedNode} stored in ${path}`);
    }
    const id = props['cluster.id'];
    if (id === undefined || id === '') throw new ConfigError(`log.dirs: ${path} has no cluster.id`);
    if (clusterId !== null && id !== clusterId) {
      throw new ConfigError(clusterWide !== null
        ? `log.dirs: ${path} belongs to cluster ${id}, but etcd.connect names cluster ${clusterWide} (InconsistentClusterIdException)`
        : `log.dirs: ${path} belongs to cluster ${id}, not ${clusterId}`);
    }
    clusterId = id;
  }
  clusterId ??= randomClusterId(random);
  for (const dir of missing) {
    const text = [
      '#',
      `#${new Date(clock.now()).toUTCString()}`,
      `node.id=${nodeId}`,
      `directory.id=${randomClusterId(random)}`,
      'version=1',
      `cluster.id=${clusterId}`,
      '',
    ].join('\n');
    await fs.writeFileAtomic(join(dir, 'meta.properties'), Buffer.from(text, 'utf8'));
  }
  return clusterId;
}

// --- Handler discovery

const HANDLERS_DIR = fileURLToPath(new URL('./handlers/', import.meta.url));
const handlerCache = new Map<string, Promise<Handler[]>>();

function isHandlerModule(name: string): boolean {
  if (name.startsWith('_') || name.endsWith('.d.ts')) return false;
  const m = /^(.+)\.(ts|js|mjs)$/.exec(name);
  return m !== null && m[1] !== 'index';
}

function isHandler(h: unknown): h is Handler {
  if (typeof h !== 'object' || h === null) return false;
  const o = h as Partial<Handler>;
  return typeof o.handle === 'function' && typeof o.api?.apiKey === 'number' && Number.isInteger(o.minVersion) && Number.isInteger(o.maxVersion);
}

async function importHandlers(dir: string, logger: Logger): Promise<Handler[]> {
  const names = (await readdir(dir)).filter(isHandlerModule).sort();
  const out: Handler[] = [];
  for (const name of names) {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(join(dir, name)).href)) as { default?: unknown };
    } catch (err) {
      logger.error(`handler module ${name} failed to load; its API is not served`, { error: err instanceof Error ? err.message : String(err) });
      continue;
    }
    const exported = Array.isArray(mod.default) ? mod.default : [mod.default];
    for (const h of exported) {
      if (!isHandler(h)) {
        logger.error(`handler module ${name} does not export default a handler (or an array of them)`);
        continue;
      }
      if (h.clusterOperation !== undefined && h.errorResponse === undefined) {
        logger.error(`handler ${h.api.name} in ${name} declares a cluster operation but no errorResponse`);
        continue;
      }
      const range = h.api.request.versions;
      if (h.minVersion > h.maxVersion || h.minVersion < range.min || h.maxVersion > range.max) {
        logger.error(`handler ${h.api.name} in ${name}: versions ${h.minVersion}-${h.maxVersion} outside the message definition (${range.min}-${range.max})`);
        continue;
      }
      out.push(h);
    }
  }
  return out;
}

/** The handlers in `dir` (default ./handlers/) by API key; imported once per process. */
export async function loadHandlers(logger: Logger, dir: string = HANDLERS_DIR): Promise<Map<number, Handler>> {
  let loading = handlerCache.get(dir);
  if (loading === undefined) {
    loading = importHandlers(dir, logger);
    handlerCache.set(dir, loading);
  }
  const map = new Map<number, Handler>();
  for (const h of await loading) {
    const existing = map.get(h.api.apiKey);
    if (existing !== undefined) {
      logger.error(`two handlers for ${h.api.name} (API key ${h.api.apiKey}); keeping the first`);
      continue;
    }
    map.set(h.api.apiKey, h);
  }
  return map;
}
