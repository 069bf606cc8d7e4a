/**
 * Sherwood's own Kafka client: connection management, version negotiation, metadata and
 * routing. Used by our CLIs and tests; it sees only src/protocol and src/base.
 *
 * - `KafkaClient.connect('host:port[,host:port]')` opens a connection to the first reachable
 *   bootstrap broker and negotiates API versions (ApiVersions v3, falling back to the version
 *   the broker advertises — or v0 — when it answers UNSUPPORTED_VERSION).
 * - `request(api, body, { version?, nodeId? })` sends to the bootstrap broker or to a node by id
 *   (nodes come from Metadata and FindCoordinator). Without `version`, the highest version both
 *   the node and our definition support is used. `body` may be partial: missing top-level fields
 *   take their defaults for the chosen version.
 * - Higher-level helpers (produce, fetch, listOffsets, findCoordinator, offset commit/fetch)
 *   live in ./operations.ts and are exposed here as methods.
 *
 * Kafka error codes in responses are returned as data by `request`; the helpers turn a
 * non-retriable code into a thrown KafkaError, and retry the retriable ones a few times.
 */
import { BrokerError } from '../base/errors.js';
import { sleep, systemClock, type Clock } from '../base/clock.js';
import { Reader, ZERO_UUID } from '../protocol/primitives.js';
import type { ApiDef } from '../protocol/schema.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { ApiVersions, type ApiVersionsResponse } from '../protocol/messages/api-versions.js';
import { Metadata, type MetadataResponse } from '../protocol/messages/metadata.js';
import { BrokerConnection, type BrokerConnectionOptions } from './broker-connection.js';
import { KafkaError } from './kafka-error.js';
import * as ops from './operations.js';
import type { RecordInput } from '../protocol/records.js';

export { KafkaError };

export interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

export interface KafkaClientOptions extends BrokerConnectionOptions {
  clientSoftwareName?: string;
  clientSoftwareVersion?: string;
}

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface PartitionMetadata {
  partition: number;
  errorCode: number;
  leaderId: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
}

export interface TopicMetadata {
  name: string;
  topicId: Buffer;
  errorCode: number;
  isInternal: boolean;
  partitions: PartitionMetadata[];
}

export interface ClusterMetadata {
  clusterId: string | null;
  controllerId: number;
  brokers: BrokerInfo[];
  topics: TopicMetadata[];
}

export interface RequestOptions {
  version?: number;
  /** Send to this broker (from Metadata/FindCoordinator); default: the bootstrap broker. */
  nodeId?: number;
  timeoutMs?: number;
  /** false for Produce acks=0, which gets no response; the promise then resolves to null. */
  expectResponse?: boolean;
}

/** A connection plus the API version ranges its broker advertised. */
export class NodeConnection {
  constructor(
    readonly connection: BrokerConnection,
    readonly versions: ReadonlyMap<number, VersionRange>,
  ) {}

  /** Highest version both sides support, or -1 if none. */
  versionFor(api: ApiDef): number {
    const theirs = this.versions.get(api.apiKey);
    if (theirs === undefined) return -1;
    const ours = api.request.versions;
    const max = Math.min(ours.max, theirs.maxVersion);
    const min = Math.max(ours.min, theirs.minVersion);
    return max >= min ? max : -1;
  }
}

const API_VERSIONS_PREFERRED = 3;

/** Kafka's Integer.MAX_VALUE: coordinator connections are registered as MAX - nodeId. */
const COORDINATOR_CONNECTION_BASE = 2147483647;

/** Sends ApiVersions, falling back as Kafka clients do when the broker rejects our version. */
export async function negotiateApiVersions(conn: BrokerConnection, options: KafkaClientOptions = {}): Promise<Map<number, VersionRange>> {
  let version = API_VERSIONS_PREFERRED;
  for (let attempt = 0; attempt < 3; attempt++) {
    const body = ApiVersions.request.encode(
      { clientSoftwareName: options.clientSoftwareName ?? 'sherwood-client', clientSoftwareVersion: options.clientSoftwareVersion ?? '0.1.0' },
      version,
    );
    const raw = await conn.sendRaw(ApiVersions.apiKey, version, body, { requestFlexible: ApiVersions.request.isFlexible(version), responseFlexible: false });
    const res = decodeApiVersionsResponse(raw!, version);
    if (res.errorCode === ErrorCode.UNSUPPORTED_VERSION) {
      // The broker answers in v0 and lists the ApiVersions range it does support.
      const theirs = res.apiKeys.find((k) => k.apiKey === ApiVersions.apiKey);
      const next = theirs === undefined ? 0 : Math.min(theirs.maxVersion, ApiVersions.request.versions.max);
      if (next >= version) version = 0;
      else version = next;
      continue;
    }
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode, 'ApiVersions');
    return new Map(res.apiKeys.map((k) => [k.apiKey, { minVersion: k.minVersion, maxVersion: k.maxVersion }]));
  }
  throw new BrokerError('SHERWOOD_CLIENT', `cannot agree on an ApiVersions version with ${conn.host}:${conn.port}`);
}

function decodeApiVersionsResponse(body: Buffer, version: number): ApiVersionsResponse {
  // An UNSUPPORTED_VERSION answer is encoded as v0 whatever version we asked for.
  const errorCode = body.length >= 2 ? body.readInt16BE(0) : -1;
  const v = errorCode === ErrorCode.UNSUPPORTED_VERSION ? 0 : version;
  const r = new Reader(body);
  const res = ApiVersions.response.read(r, v);
  if (r.error !== null) {
    // librdkafka's mock cluster (2.0.2) answers UNSUPPORTED_VERSION in the flexible layout
    // instead of v0; without a usable range list the caller falls back to v0, as librdkafka does.
    if (errorCode === ErrorCode.UNSUPPORTED_VERSION) return { ...ApiVersions.response.empty(0), errorCode, apiKeys: [] };
    throw new BrokerError('SHERWOOD_PROTOCOL', `ApiVersions v${v} response: ${r.error}`);
  }
  return res;
}

export function parseBootstrap(bootstrap: string): { host: string; port: number }[] {
  const out: { host: string; port: number }[] = [];
  for (const part of bootstrap.split(',')) {
    const s = part.trim().replace(/^[A-Za-z_]+:\/\//, '');
    if (s === '') continue;
    const colon = s.lastIndexOf(':');
    if (colon <= 0) throw new BrokerError('SHERWOOD_CLIENT', `bad bootstrap server "${part}": expected host:port`);
    let host = s.slice(0, colon);
    if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
    const port = Number(s.slice(colon + 1));
    if (!Number.isInteger(port) || port <= 0 || port > 65535) throw new BrokerError('SHERWOOD_CLIENT', `bad port in bootstrap server "${part}"`);
    out.push({ host, port });
  }
  if (out.length === 0) throw new BrokerError('SHERWOOD_CLIENT', 'no bootstrap servers given');
  return out;
}

export class KafkaClient {
  readonly options: KafkaClientOptions;
  readonly clock: Clock;
  private readonly bootstrapNode: NodeConnection;
  private readonly nodes = new Map<number, Promise<NodeConnection>>();
  private readonly brokers = new Map<number, BrokerInfo>();
  private readonly topicCache = new Map<string, TopicMetadata>();
  /** Node ids that get their own connection even when host:port is the bootstrap broker's. */
  private readonly dedicated = new Set<number>();
  private closed = false;

  private constructor(bootstrapNode: NodeConnection, options: KafkaClientOptions) {
    this.bootstrapNode = bootstrapNode;
    this.options = options;
    this.clock = options.clock ?? systemClock;
  }

  static async connect(bootstrap: string, options: KafkaClientOptions = {}): Promise<KafkaClient> {
    let lastError: unknown;
    for (const { host, port } of parseBootstrap(bootstrap)) {
      let conn: BrokerConnection | undefined;
      try {
        conn = await BrokerConnection.connect(host, port, options);
        const versions = await negotiateApiVersions(conn, options);
        return new KafkaClient(new NodeConnection(conn, versions), options);
      } catch (err) {
        lastError = err;
        if (conn !== undefined) await conn.close();
      }
    }
    throw lastError;
  }

  /** API ranges advertised by the bootstrap broker. */
  get apiVersions(): ReadonlyMap<number, VersionRange> {
    return this.bootstrapNode.versions;
  }

  /** Highest version of `api` the node and our definitions share; throws if there is none. */
  async versionFor(api: ApiDef, nodeId?: number): Promise<number> {
    const node = await this.node(nodeId);
    const v = node.versionFor(api);
    if (v < 0) throw new BrokerError('SHERWOOD_CLIENT', `broker ${node.connection.host}:${node.connection.port} supports no version of ${api.name} we know`);
    return v;
  }

  async request<Req, Res>(api: ApiDef<Req, Res>, body: Partial<Req>, options: RequestOptions = {}): Promise<Res> {
    const node = await this.node(options.nodeId);
    let version = options.version;
    if (version === undefined) {
      version = node.versionFor(api);
      if (version < 0) throw new BrokerError('SHERWOOD_CLIENT', `broker supports no version of ${api.name} we know`);
    }
    const full = api.request.empty(version) as Record<string, unknown>;
    for (const [k, v] of Object.entries(body)) if (v !== undefined) full[k] = v;
    return node.connection.send(api, version, full as Req, { timeoutMs: options.timeoutMs, expectResponse: options.expectResponse });
  }

  /** The connection to a node by id (default: the bootstrap broker), opened on first use. */
  async node(nodeId?: number): Promise<NodeConnection> {
    if (this.closed) throw new BrokerError('SHERWOOD_CLIENT', 'client is closed');
    if (nodeId === undefined) return this.bootstrapNode;
    const existing = this.nodes.get(nodeId);
    if (existing !== undefined) {
      const n = await existing;
      if (!n.connection.closed) return n;
      this.nodes.delete(nodeId);
    }
    let info = this.brokers.get(nodeId);
    if (info === undefined) {
      await this.metadata([]);
      info = this.brokers.get(nodeId);
    }
    if (info === undefined) throw new BrokerError('SHERWOOD_CLIENT', `unknown broker id ${nodeId}`);
    const b = this.bootstrapNode.connection;
    if (!this.dedicated.has(nodeId) && info.host === b.host && info.port === b.port && !b.closed) return this.bootstrapNode;
    const target = info;
    const opening = (async () => {
      const conn = await BrokerConnection.connect(target.host, target.port, this.options);
      try {
        return new NodeConnection(conn, await negotiateApiVersions(conn, this.options));
      } catch (err) {
        await conn.close();
        throw err;
      }
    })();
    this.nodes.set(nodeId, opening);
    opening.catch(() => this.nodes.delete(nodeId));
    return opening;
  }

  /** Registers a broker learned elsewhere (e.g. from FindCoordinator). */
  addBroker(info: BrokerInfo): void {
    this.brokers.set(info.nodeId, info);
  }

  /**
   * A node id for talking to `coordinator` over a connection of its own, as Kafka's consumer
   * does (its id is Integer.MAX_VALUE - nodeId): a broker answers one connection's requests in
   * order, so heartbeats on the connection that long-polls Fetch would wait behind it.
   */
  coordinatorConnectionId(coordinator: BrokerInfo): number {
    const id = COORDINATOR_CONNECTION_BASE - coordinator.nodeId;
    this.dedicated.add(id);
    this.brokers.set(id, { ...coordinator, nodeId: id });
    return id;
  }

  /**
   * Metadata for `topics` (undefined or null: all topics; []: brokers only). Updates the
   * broker and topic caches used for routing.
   */
  async metadata(topics?: string[] | null, options: { allowAutoTopicCreation?: boolean } = {}): Promise<ClusterMetadata> {
    const version = await this.versionFor(Metadata);
    let reqTopics: { name: string; topicId: Buffer }[] | null;
    if (topics === undefined || topics === null) reqTopics = version === 0 ? [] : null;
    else reqTopics = topics.map((name) => ({ name, topicId: ZERO_UUID }));
    if (version === 0 && topics !== undefined && topics !== null && topics.length === 0) {
      reqTopics = [{ name: '__sherwood_no_such_topic__', topicId: ZERO_UUID }];
    }
    const res: MetadataResponse = await this.request(Metadata, {
      topics: reqTopics,
      allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
      includeTopicAuthorizedOperations: false,
    }, { version });
    const brokers = res.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
    for (const b of brokers) this.brokers.set(b.nodeId, b);
    const out: TopicMetadata[] = [];
    for (const t of res.topics) {
      if (version === 0 && t.name === '__sherwood_no_such_topic__') continue;
      const tm: TopicMetadata = {
        name: t.name ?? '',
        topicId: t.topicId,
        errorCode: t.errorCode,
        isInternal: t.isInternal,
        partitions: t.partitions
          .map((p) => ({ partition: p.partitionIndex, errorCode: p.errorCode, leaderId: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes }))
          .sort((a, b) => a.partition - b.partition),
      };
      out.push(tm);
      if (tm.errorCode === ErrorCode.NONE) this.topicCache.set(tm.name, tm);
      else this.topicCache.delete(tm.name);
    }
    return { clusterId: res.clusterId, controllerId: res.controllerId, brokers, topics: out };
  }

  /**
   * Metadata of one topic, retrying while the broker reports a retriable error (e.g. right
   * after auto-creation: LEADER_NOT_AVAILABLE). Throws KafkaError otherwise.
   */
  async topicMetadata(topic: string, options: { refresh?: boolean; allowAutoTopicCreation?: boolean; retries?: number } = {}): Promise<TopicMetadata> {
    const cached = this.topicCache.get(topic);
    if (cached !== undefined && options.refresh !== true) return cached;
    const retries = options.retries ?? 10;
    for (let attempt = 0; ; attempt++) {
      const md = await this.metadata([topic], { allowAutoTopicCreation: options.allowAutoTopicCreation });
      const t = md.topics.find((x) => x.name === topic);
      const code = t === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : t.errorCode;
      const leaderless = t !== undefined && code === ErrorCode.NONE && t.partitions.some((p) => p.leaderId < 0);
      if (code === ErrorCode.NONE && !leaderless) return t!;
      const retriable = code === ErrorCode.LEADER_NOT_AVAILABLE || leaderless;
      if (!retriable || attempt >= retries) throw new KafkaError(leaderless ? ErrorCode.LEADER_NOT_AVAILABLE : code, `metadata for topic ${topic}`);
      await sleep(this.clock, 100);
    }
  }

  /** Leader node id of a partition (from cached metadata, refreshed when asked). */
  async leaderFor(topic: string, partition: number, refresh = false): Promise<number> {
    const t = await this.topicMetadata(topic, { refresh });
    const p = t.partitions.find((x) => x.partition === partition);
    if (p === undefined) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `partition ${topic}-${partition}`);
    if (p.leaderId < 0) throw new KafkaError(ErrorCode.LEADER_NOT_AVAILABLE, `partition ${topic}-${partition}`);
    return p.leaderId;
  }

  /** Drops cached metadata for a topic (after NOT_LEADER_OR_FOLLOWER and the like). */
  invalidateTopic(topic: string): void {
    this.topicCache.delete(topic);
  }

  cachedTopic(topic: string): TopicMetadata | undefined {
    return this.topicCache.get(topic);
  }

  // --- Helpers (see ./operations.ts) ---

  produce(topic: string, partition: number, records: RecordInput[], options?: ops.ProduceOptions): Promise<ops.ProduceResult> {
    return ops.produce(this, topic, partition, records, options);
  }

  fetch(topic: string, partition: number, offset: number, options?: ops.FetchOptions): Promise<ops.FetchResult> {
    return ops.fetch(this, topic, partition, offset, options);
  }

  /** timestamp: -2 earliest, -1 latest, else the first offset with a timestamp at or after it. */
  listOffsets(topic: string, partition: number, timestamp: number, options?: { isolationLevel?: number }): Promise<ops.ListOffsetsResult> {
    return ops.listOffsets(this, topic, partition, timestamp, options);
  }

  findCoordinator(key: string, keyType = 0): Promise<BrokerInfo> {
    return ops.findCoordinator(this, key, keyType);
  }

  commitOffsets(groupId: string, offsets: ops.CommitOffset[], options?: ops.CommitOptions): Promise<void> {
    return ops.commitOffsets(this, groupId, offsets, options);
  }

  fetchCommittedOffsets(groupId: string, topic: string, partitions: number[], options?: { requireStable?: boolean }): Promise<Map<number, number>> {
    return ops.fetchCommittedOffsets(this, groupId, topic, partitions, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const all: Promise<void>[] = [this.bootstrapNode.connection.close()];
    for (const p of this.nodes.values()) all.push(p.then((n) => n.connection.close(), () => undefined));
    this.nodes.clear();
    await Promise.all(all);
  }
}
