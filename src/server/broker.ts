/**
 * The Broker is what every handler sees as `ctx.broker`: configuration, identity, the injected
 * clock/random/filesystem/logger, and the broker's services, typed and built once in start.ts:
 *
 *   topics          TopicManager: the metadata image and every change to it
 *   replicaManager  the hosted partitions (handlers get a partition or an error from it)
 *   producerIds     producer ids for InitProducerId (blocks allocated through the metadata)
 *   groups          the group coordinator runtime (loads __consumer_offsets shards on leadership)
 *   transactions    the transaction coordinator runtime (loads __transaction_state shards on
 *                   leadership; writes markers; verify() for transactional produce)
 *   fetchSessions   KIP-227 fetch sessions
 *   fetchPurgatory  long-polling fetches
 *   authenticator, authorizer, quotas, requestMetrics: the request pipeline's stages
 *   membership      in a cluster (etcd.connect): the live brokers and the controller, which
 *                   Metadata and DescribeCluster list; null for a standalone broker
 *
 * It holds no sockets; start.ts builds it and server.ts feeds it requests. `closeServices()`
 * releases waiters and coordinators before the partitions, metadata and logs shut down.
 */
import type { Clock } from '../base/clock.js';
import type { Random } from '../base/random.js';
import type { Logger } from '../base/logger.js';
import type { FileSystem } from '../base/file-system.js';
import type { LogManager } from '../storage/log-manager.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { TopicManager } from '../cluster/topic-manager.js';
import type { ReplicaManager } from '../cluster/replica-manager.js';
import { sortedBrokers, type BrokerMembership } from '../cluster/membership/broker-membership.js';
import { BlockProducerIdManager, type ProducerIdManager } from '../cluster/producer-id-manager.js';
import type { BrokerConfig, Listener } from './config.js';
import type { Handler } from './handler.js';
import { GroupRuntime } from './group-runtime.js';
import { TransactionRuntime } from './transaction-runtime.js';
import { FetchSessionCache } from './fetch-session.js';
import { FetchPurgatory } from './delayed-fetch.js';
import { plaintextAuthenticator, type Authenticator } from './pipeline/authentication.js';
import { allowAllAuthorizer, type Authorizer } from './pipeline/authorization.js';
import { noQuotas, type QuotaManager } from './pipeline/quota.js';
import { RequestMetrics } from './pipeline/request-metrics.js';

export interface BrokerEndpoint {
  nodeId: number;
  host: string;
  port: number;
  rack: string | null;
}

export interface BrokerInit {
  config: BrokerConfig;
  nodeId: number;
  clusterId: string;
  clock: Clock;
  random: Random;
  logger: Logger;
  fs: FileSystem;
  logs: LogManager;
  topics: TopicManager;
  replicaManager: ReplicaManager;
  producerIds?: ProducerIdManager;
  handlers: ReadonlyMap<number, Handler>;
  authenticator?: Authenticator;
  authorizer?: Authorizer;
  quotas?: QuotaManager;
  /** A cluster's live brokers and controller (etcd.connect); absent: a standalone broker. */
  membership?: BrokerMembership;
}

export class Broker {
  readonly config: BrokerConfig;
  readonly nodeId: number;
  readonly clusterId: string;
  readonly clock: Clock;
  readonly random: Random;
  readonly logger: Logger;
  readonly fs: FileSystem;
  readonly logs: LogManager;
  readonly topics: TopicManager;
  readonly replicaManager: ReplicaManager;
  /** Producer ids for InitProducerId, in blocks from the metadata. */
  readonly producerIds: ProducerIdManager;
  readonly groups: GroupRuntime;
  readonly transactions: TransactionRuntime;
  readonly fetchSessions: FetchSessionCache;
  readonly fetchPurgatory: FetchPurgatory;
  /** Every API we serve, by API key; ApiVersions advertises exactly these ranges. */
  readonly handlers: ReadonlyMap<number, Handler>;
  /** The request pipeline's stages (server/pipeline/): authenticate → authorize → quota → handler → metrics. */
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly quotas: QuotaManager;
  readonly requestMetrics = new RequestMetrics();
  /** A cluster's live brokers and controller; null for a standalone broker. */
  readonly membership: BrokerMembership | null;
  /** The advertised listeners, set once the sockets are bound (port 0 becomes the real port). */
  private advertised: Listener[] = [];

  constructor(init: BrokerInit) {
    this.config = init.config;
    this.nodeId = init.nodeId;
    this.clusterId = init.clusterId;
    this.clock = init.clock;
    this.random = init.random;
    this.logger = init.logger;
    this.fs = init.fs;
    this.logs = init.logs;
    this.topics = init.topics;
    this.replicaManager = init.replicaManager;
    this.handlers = init.handlers;
    this.membership = init.membership ?? null;
    this.authenticator = init.authenticator ?? plaintextAuthenticator;
    this.authorizer = init.authorizer ?? allowAllAuthorizer;
    this.quotas = init.quotas ?? noQuotas;
    this.fetchSessions = new FetchSessionCache({
      maxSlots: init.config.getInt('max.incremental.fetch.session.cache.slots'), clock: init.clock, random: init.random,
    });
    this.fetchPurgatory = new FetchPurgatory(init.clock);
    this.producerIds = init.producerIds ?? new BlockProducerIdManager(init.nodeId, init.topics, init.logger);
    this.groups = new GroupRuntime(this);
    this.transactions = new TransactionRuntime(this);
  }

  /**
   * For tests and diagnostics: the log of a partition hosted here. Handlers never use it: they
   * go through `replicaManager` (test/unit/layering.test.ts checks).
   */
  partitionLog(topic: string, partition: number): PartitionLog | undefined {
    return this.replicaManager.getPartition(topic, partition)?.log;
  }

  /** Called by start.ts after binding. */
  setAdvertisedListeners(listeners: Listener[]): void {
    this.advertised = listeners;
  }

  advertisedListeners(): readonly Listener[] {
    return this.advertised;
  }

  /** The advertised host of the first listener. */
  get advertisedHost(): string {
    return this.advertised[0]?.host ?? '127.0.0.1';
  }

  get advertisedPort(): number {
    return this.advertised[0]?.port ?? 0;
  }

  get rack(): string | null {
    return this.config.get<string | null>('broker.rack');
  }

  /** A standalone broker is its own controller; in a cluster, the elected one (-1 while none is). */
  get controllerId(): number {
    return this.membership === null ? this.nodeId : this.membership.controllerId();
  }

  /**
   * The brokers of the cluster as Metadata and DescribeCluster return them, by id (this one
   * included).
   * With a listener name, the address of that listener (Kafka answers with the listener the
   * request came in on). Other brokers are listed at the listeners they registered in the
   * metadata image, else (etcd membership) at their first advertised listener; in a cluster
   * with a membership only live ones are listed.
   */
  endpoints(listenerName?: string): BrokerEndpoint[] {
    const l = (listenerName === undefined ? undefined : this.advertised.find((a) => a.name === listenerName)) ?? this.advertised[0];
    const self: BrokerEndpoint = { nodeId: this.nodeId, host: l?.host ?? this.advertisedHost, port: l?.port ?? this.advertisedPort, rack: this.rack };
    const live = this.membership?.liveBrokers();
    const others = new Map<number, BrokerEndpoint>();
    for (const b of this.topics.image.brokers()) {
      if (b.brokerId === this.nodeId || b.endpoints === undefined || b.endpoints.length === 0) continue;
      if (live !== undefined && !live.has(b.brokerId)) continue;
      const e = (listenerName === undefined ? undefined : b.endpoints.find((x) => x.name === listenerName)) ?? b.endpoints[0]!;
      others.set(b.brokerId, { nodeId: b.brokerId, host: e.host, port: e.port, rack: b.rack });
    }
    if (live !== undefined) {
      for (const b of sortedBrokers(live)) {
        if (b.brokerId !== this.nodeId && !others.has(b.brokerId)) others.set(b.brokerId, { nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack });
      }
    }
    return [self, ...others.values()].sort((a, b) => a.nodeId - b.nodeId);
  }

  /** Whether a broker is alive: in a cluster, registered in the membership; else known to the metadata. */
  isBrokerLive(brokerId: number): boolean {
    if (this.membership === null) return this.topics.image.broker(brokerId) !== undefined;
    return brokerId === this.nodeId || this.membership.liveBrokers().has(brokerId);
  }

  /** Releases waiting fetches and unloads the coordinators (before the partitions stop). */
  closeServices(): void {
    this.transactions.close();
    this.groups.close();
    this.fetchPurgatory.close();
    this.fetchSessions.close();
  }
}
