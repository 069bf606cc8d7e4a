/**
 * The transaction coordinator's requests to other brokers in a cluster, over BrokerChannels
 * (one per peer, cached; the peer's address from the metadata image's registration at
 * inter.broker.listener.name, else its first listener).
 *
 * - ClusterTransactionMarkerWriter (Kafka's TransactionMarkerChannelManager): each partition's
 *   marker goes to the partition's *current* leader in the metadata image — this broker's own
 *   partitions through writeTxnMarkersLocally, the others as one WriteTxnMarkers v1 request per
 *   leader. A partition the metadata no longer names is done (deleted: Kafka skips it); one
 *   without a leader, or whose leader could not be reached, answers NOT_LEADER_OR_FOLLOWER /
 *   NETWORK_EXCEPTION, which sendMarkers retries with backoff, reading the leaders afresh.
 * - ClusterAddPartitionsToTxnSender (Kafka's AddPartitionsToTxnManager): the entry goes to the
 *   leader of the transactional id's `__transaction_state` partition — locally when that is this
 *   broker, else as an AddPartitionsToTxn v4/v5 request with one transaction. No leader, or an
 *   unreachable one, answers NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE for every partition,
 *   which the producer retries after finding the coordinator again.
 */
import type { Clock } from '../base/clock.js';
import type { Logger } from '../base/logger.js';
import type { Transport } from '../base/transport.js';
import { BrokerChannel } from '../cluster/replication/broker-channel.js';
import type { TopicManager } from '../cluster/topic-manager.js';
import { TRANSACTION_STATE_TOPIC_NAME } from '../cluster/topic-name.js';
import type { MarkerWriteResult, TransactionMarker, TransactionMarkerWriter } from '../coordinator/transaction/transaction-markers.js';
import { partitionForTransactionalId } from '../coordinator/transaction/records.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { AddPartitionsToTxn } from '../protocol/messages/add-partitions-to-txn.js';
import { WriteTxnMarkers } from '../protocol/messages/write-txn-markers.js';
import type { Broker } from './broker.js';
import { writeTxnMarkersLocally, type AddPartitionsToTxnEntry, type AddPartitionsToTxnSender } from './transaction-runtime.js';

export interface PeerChannelOptions {
  localBrokerId: number;
  transport: Transport;
  clock: Clock;
  logger: Logger;
  /** A peer's inter-broker address now, or null when the metadata has none. */
  endpoint(brokerId: number): { host: string; port: number } | null;
  requestTimeoutMs: number;
}

/** One BrokerChannel per peer for the coordinators' requests (not shared with the fetchers). */
export class PeerChannels {
  private readonly channels = new Map<number, BrokerChannel>();
  private closed = false;

  constructor(private readonly opts: PeerChannelOptions) {}

  channel(brokerId: number): BrokerChannel {
    if (this.closed) throw new Error('the inter-broker channels are closed');
    let c = this.channels.get(brokerId);
    if (c === undefined) {
      c = new BrokerChannel(brokerId, {
        transport: this.opts.transport, clock: this.opts.clock, endpoint: () => this.opts.endpoint(brokerId),
        clientId: `broker-${this.opts.localBrokerId}-txn-${brokerId}`, requestTimeoutMs: this.opts.requestTimeoutMs,
        maxResponseBytes: 10 * 1024 * 1024,
      });
      this.channels.set(brokerId, c);
    }
    return c;
  }

  close(): void {
    this.closed = true;
    for (const c of this.channels.values()) c.close();
    this.channels.clear();
  }
}

function leaderOf(topics: TopicManager, topic: string, partition: number): number | undefined {
  const info = topics.get(topic);
  if (info === undefined || partition < 0 || partition >= info.numPartitions) return undefined;
  return info.partitions[partition]?.leader ?? -1;
}

export class ClusterTransactionMarkerWriter implements TransactionMarkerWriter {
  constructor(private readonly broker: Broker, private readonly peers: PeerChannels) {}

  async writeMarkers(marker: TransactionMarker): Promise<MarkerWriteResult[]> {
    const results: MarkerWriteResult[] = [];
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    for (const tp of marker.partitions) {
      const leader = leaderOf(this.broker.topics, tp.topic, tp.partition);
      if (leader === undefined) results.push({ ...tp, errorCode: ErrorCode.NONE });
      else if (leader < 0) results.push({ ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
      else {
        let list = byLeader.get(leader);
        if (list === undefined) byLeader.set(leader, (list = []));
        list.push(tp);
      }
    }
    const written = await Promise.all([...byLeader].map(([leader, partitions]) => (leader === this.broker.nodeId
      ? writeTxnMarkersLocally(this.broker, { ...marker, partitions })
      : this.sendTo(leader, marker, partitions))));
    return [...results, ...written.flat()];
  }

  private async sendTo(leader: number, marker: TransactionMarker, partitions: { topic: string; partition: number }[]): Promise<MarkerWriteResult[]> {
    const topics = new Map<string, number[]>();
    for (const tp of partitions) {
      let list = topics.get(tp.topic);
      if (list === undefined) topics.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    try {
      const r = await this.peers.channel(leader).send(WriteTxnMarkers, 1, {
        markers: [{
          producerId: marker.producerId, producerEpoch: marker.producerEpoch, transactionResult: marker.result === 'COMMIT',
          coordinatorEpoch: marker.coordinatorEpoch, topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })),
        }],
      });
      const answered = new Map<string, number>();
      for (const t of r.markers[0]?.topics ?? []) for (const p of t.partitions) answered.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
      return partitions.map((tp) => ({ ...tp, errorCode: answered.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR }));
    } catch (err) {
      this.broker.logger.debug('WriteTxnMarkers to a partition leader failed; retrying', { leader, error: String(err) });
      return partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.NETWORK_EXCEPTION }));
    }
  }
}

export class ClusterAddPartitionsToTxnSender implements AddPartitionsToTxnSender {
  constructor(private readonly broker: Broker, private readonly peers: PeerChannels, private readonly local: AddPartitionsToTxnSender) {}

  async send(entry: AddPartitionsToTxnEntry, version: number): Promise<number[]> {
    const info = this.broker.topics.get(TRANSACTION_STATE_TOPIC_NAME);
    if (info === undefined) return entry.partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const leader = info.partitions[partitionForTransactionalId(entry.transactionalId, info.numPartitions)]?.leader ?? -1;
    if (leader < 0) return entry.partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    if (leader === this.broker.nodeId) return this.local.send(entry, version);
    const topics = new Map<string, number[]>();
    for (const tp of entry.partitions) {
      let list = topics.get(tp.topic);
      if (list === undefined) topics.set(tp.topic, (list = []));
      list.push(tp.partition);
    }
    try {
      const r = await this.peers.channel(leader).send(AddPartitionsToTxn, version, {
        transactions: [{
          transactionalId: entry.transactionalId, producerId: entry.producerId, producerEpoch: entry.producerEpoch, verifyOnly: entry.verifyOnly,
          topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
        }],
        v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [],
      });
      if (r.errorCode !== ErrorCode.NONE) return entry.partitions.map(() => r.errorCode);
      const answered = new Map<string, number>();
      for (const t of r.resultsByTransaction[0]?.topicResults ?? []) for (const p of t.resultsByPartition) answered.set(`${t.name}\u0000${p.partitionIndex}`, p.partitionErrorCode);
      return entry.partitions.map((tp) => answered.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR);
    } catch (err) {
      this.broker.logger.debug('AddPartitionsToTxn to the transaction coordinator failed', { coordinator: leader, error: String(err) });
      return entry.partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }
}
