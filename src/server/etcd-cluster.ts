/**
 * The cluster services of a broker started with `etcd.connect` (docs/cluster.md): one etcd
 * client shared by the metadata store (the metadata log), the membership (registration,
 * controller election) and the cluster id. start.ts builds them when etcd.connect is set and
 * a standalone broker never touches any of this.
 *
 * Cluster id: `<prefix>/cluster/id` is created once (by the first broker to start, with the
 * id it would have picked) and every broker takes it from there; a data dir whose
 * meta.properties names another cluster is refused, as Kafka refuses it
 * (InconsistentClusterIdException).
 */
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { Random } from '../base/random.js';
import { EtcdClient } from '../cluster/etcd/etcd-client.js';
import { EtcdUnavailableError } from '../cluster/etcd/etcd-errors.js';
import { parseEtcdConnect } from '../cluster/etcd/etcd-connect.js';
import { httpEtcdTransport } from '../cluster/etcd/etcd-transport.js';
import { EtcdMetadataStore } from '../cluster/metadata/etcd-metadata-store.js';
import { EtcdBrokerMembership, membershipKeys } from '../cluster/membership/etcd-broker-membership.js';
import type { BrokerMembership } from '../cluster/membership/broker-membership.js';

export interface EtcdCluster {
  readonly client: EtcdClient;
  readonly prefix: string;
  readonly store: EtcdMetadataStore;
  readonly membership: BrokerMembership;
  /**
   * The cluster's id: the one in etcd, or `proposed` if this broker is the first. The broker's
   * first contact with etcd: while no member answers (EtcdUnavailableError) it tries again
   * every second until `waitMs` (initial.broker.registration.timeout.ms) has passed.
   */
  clusterId(proposed: string, waitMs: number): Promise<string>;
  /** The next metadata append also requires this controller epoch (null clears): controller fencing. */
  fenceNextAppend(controllerEpoch: number | null): void;
  close(): Promise<void>;
}

/** Between start-up attempts while etcd does not answer. */
const RETRY_MS = 1000;

export function openEtcdCluster(opts: { connect: string; sessionTimeoutMs: number; clock: Clock; random: Random; logger: Logger }): EtcdCluster {
  const { endpoints, prefix } = parseEtcdConnect(opts.connect);
  const client = new EtcdClient({ endpoints, transport: httpEtcdTransport(), clock: opts.clock });
  const store = new EtcdMetadataStore({ client, prefix, logger: opts.logger, random: opts.random });
  const membership = new EtcdBrokerMembership({ client, prefix, logger: opts.logger, sessionTimeoutMs: opts.sessionTimeoutMs });
  const key = `${prefix}/cluster/id`;
  return {
    client, prefix, store, membership,
    fenceNextAppend(controllerEpoch) {
      store.fenceNextAppend(controllerEpoch === null ? null : { key: membershipKeys(prefix).controller, controllerEpoch });
    },
    async clusterId(proposed, waitMs) {
      const deadline = opts.clock.monotonicMs() + waitMs;
      const txn = () => client.txn({
        compare: [{ key, target: 'CREATE', result: 'EQUAL', value: 0 }],
        success: [{ put: { key, value: proposed } }],
        failure: [{ range: { key } }],
      }, { resend: true }); // a resend after our own create reads back our own id
      let r;
      for (;;) {
        try {
          r = await txn();
          break;
        } catch (err) {
          const left = deadline - opts.clock.monotonicMs();
          if (!(err instanceof EtcdUnavailableError) || left <= 0) throw err;
          opts.logger.warn('no etcd member answers yet; retrying (initial.broker.registration.timeout.ms)', { connect: opts.connect, error: err.message, leftMs: left });
          await new Promise<void>((resolve) => opts.clock.schedule(Math.min(RETRY_MS, left), resolve));
        }
      }
      if (r.succeeded) return proposed;
      const res = r.responses[0];
      const kv = res !== undefined && 'range' in res ? res.range.kvs[0] : undefined;
      return kv === undefined ? proposed : kv.value.toString('utf8');
    },
    async close() {
      await membership.close();
      await store.close();
      client.close();
    },
  };
}
