/**
 * The Broker is what every handler sees as `ctx.broker`: configuration, identity, the injected
 * clock/random/filesystem/logger, storage (`logs`), topic metadata (`topics`) and a `services`
 * map where later subsystems (fetch sessions, purgatory, group runtime, ...) park themselves.
 *
 * It holds no sockets; start.ts builds it and server.ts feeds it requests. A service put in
 * `services` that has a `close()` method is closed (in reverse registration order) by
 * `closeServices()` before the topic and log managers shut down.
 */
import type { Clock } from '../base/clock.js';
import type { Random } from '../base/random.js';
import type { Logger } from '../base/logger.js';
import type { FileSystem } from '../base/file-system.js';
import type { LogManager } from '../storage/log-manager.js';
import type { PartitionLog } from '../storage/partition-log.js';
import type { TopicManager } from '../cluster/topic-manager.js';
import type { GroupCoordinatorService } from '../coordinator/group/group-coordinator-service.js';
import type { BrokerConfig, Listener } from './config.js';
import type { Handler } from './handler.js';
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
  handlers: ReadonlyMap<number, Handler>;
  authenticator?: Authenticator;
  authorizer?: Authorizer;
  quotas?: QuotaManager;
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
  /** The group coordinator, set by the group runtime when it starts (owner: groups). */
  groups?: GroupCoordinatorService;
  /** Every API we serve, by API key; ApiVersions advertises exactly these ranges. */
  readonly handlers: ReadonlyMap<number, Handler>;
  /** Later subsystems register here by name (fetch sessions, purgatory, group runtime...). */
  readonly services = new Map<string, unknown>();
  /** The request pipeline's stages (server/pipeline/): authenticate → authorize → quota → handler → metrics. */
  readonly authenticator: Authenticator;
  readonly authorizer: Authorizer;
  readonly quotas: QuotaManager;
  readonly requestMetrics = new RequestMetrics();
  /** A single broker is its own controller. */
  readonly controllerId: number;
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
    this.handlers = init.handlers;
    this.controllerId = init.nodeId;
    this.authenticator = init.authenticator ?? plaintextAuthenticator;
    this.authorizer = init.authorizer ?? allowAllAuthorizer;
    this.quotas = init.quotas ?? noQuotas;
  }

  /**
   * Interim, until the partition layer: the log of a partition the metadata names (undefined
   * for an unknown topic or partition, or while its log is being created or deleted).
   */
  partitionLog(topic: string, partition: number): PartitionLog | undefined {
    const t = this.topics.get(topic);
    if (t === undefined || partition < 0 || partition >= t.numPartitions) return undefined;
    return this.logs.get(topic, partition);
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

  /**
   * The brokers of the cluster as Metadata and DescribeCluster return them. With a listener
   * name, the address of that listener (Kafka answers with the listener the request came in on).
   */
  endpoints(listenerName?: string): BrokerEndpoint[] {
    const l = (listenerName === undefined ? undefined : this.advertised.find((a) => a.name === listenerName)) ?? this.advertised[0];
    return [{ nodeId: this.nodeId, host: l?.host ?? this.advertisedHost, port: l?.port ?? this.advertisedPort, rack: this.rack }];
  }

  /** Closes every registered service that has a close() method, newest first. */
  async closeServices(): Promise<void> {
    const all = [...this.services.entries()].reverse();
    for (const [name, service] of all) {
      const close = (service as { close?: unknown } | null)?.close;
      if (typeof close !== 'function') continue;
      try {
        await (close as () => unknown).call(service);
      } catch (err) {
        this.logger.error('closing service failed', { service: name, error: String(err) });
      }
    }
    this.services.clear();
  }
}
