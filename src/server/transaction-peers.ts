/**
 * The transaction coordinator's conversations with other brokers of a cluster (Kafka's
 * TransactionMarkerChannelManager and AddPartitionsToTxnManager, network side), over
 * PeerChannels:
 * - ClusterTransactionMarkerWriter: a marker's partitions grouped by their current leader (the
 *   metadata image); this broker's own written locally, each other leader's sent one
 *   WriteTxnMarkers v1. A partition without a live leader, or a request that fails on the
 *   network, answers NOT_LEADER_OR_FOLLOWER, which the coordinator retries with backoff
 *   (transaction-markers.ts); a partition the metadata no longer names is skipped (deleted).
 * - ClusterAddPartitionsToTxnSender: a leader's verify/add for a transactional write goes to
 *   the coordinator of the transactional id — the leader of its `__transaction_state`
 *   partition — locally when that is this broker, else as AddPartitionsToTxn v5 (verifyOnly
 *   for Transaction V1 writes). No leader or a network failure: COORDINATOR_NOT_AVAILABLE, which
 *   the producer retries.
 */
import { TRANSACTION_STATE_TOPIC_NAME } from '../cluster/topic-name.js';
import type { PeerChannels } from '../cluster/replication/peer-channels.js';
import { partitionForTransactionalId } from '../coordinator/transaction/records.js';
import type { MarkerWriteResult, TransactionMarker, TransactionMarkerWriter } from '../coordinator/transaction/transaction-markers.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { AddPartitionsToTxn } from '../protocol/messages/add-partitions-to-txn.js';
import { WriteTxnMarkers } from '../protocol/messages/write-txn-markers.js';
import type { Broker } from './broker.js';
import { addOrVerifyAtCoordinator, writeTxnMarkersLocally, type AddPartitionsToTxnEntry, type AddPartitionsToTxnSender } from './transaction-runtime.js';

function leaderOf(broker: Broker, topic: string, partition: number): number {
  return broker.topics.image.topic(topic)?.partitions[partition]?.leader ?? -1;
}

export class ClusterTransactionMarkerWriter implements TransactionMarkerWriter {
  constructor(private readonly broker: Broker, private readonly peers: PeerChannels) {}

  async writeMarkers(marker: TransactionMarker): Promise<MarkerWriteResult[]> {
    const { broker } = this;
    const results: MarkerWriteResult[] = [];
    const byLeader = new Map<number, { topic: string; partition: number }[]>();
    for (const tp of marker.partitions) {
      if (!broker.replicaManager.inMetadata(tp.topic, tp.partition)) {
        results.push({ ...tp, errorCode: ErrorCode.NONE }); // deleted: skipped, as Kafka does
        continue;
      }
      const leader = leaderOf(broker, tp.topic, tp.partition);
      if (leader < 0 || !broker.isBrokerLive(leader)) {
        results.push({ ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
        continue;
      }
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), tp]);
    }
    await Promise.all([...byLeader].map(async ([leader, partitions]) => {
      if (leader === broker.nodeId) {
        results.push(...await writeTxnMarkersLocally(broker, { ...marker, partitions }));
        return;
      }
      results.push(...await this.sendMarkers(leader, marker, partitions));
    }));
    return results;
  }

  private async sendMarkers(leader: number, marker: TransactionMarker, partitions: { topic: string; partition: number }[]): Promise<MarkerWriteResult[]> {
    const topics = new Map<string, number[]>();
    for (const tp of partitions) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
    try {
      const res = await this.peers.get(leader).send(WriteTxnMarkers, 1, {
        markers: [{
          producerId: marker.producerId, producerEpoch: marker.producerEpoch, transactionResult: marker.result === 'COMMIT',
          topics: [...topics].map(([name, partitionIndexes]) => ({ name, partitionIndexes })), coordinatorEpoch: marker.coordinatorEpoch,
        }],
      });
      const answered = new Map<string, number>();
      for (const m of res.markers) for (const t of m.topics) for (const p of t.partitions) answered.set(`${t.name}\u0000${p.partitionIndex}`, p.errorCode);
      return partitions.map((tp) => ({ ...tp, errorCode: answered.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    } catch (err) {
      this.broker.logger.debug('WriteTxnMarkers to a partition leader failed; the coordinator retries', { leader, error: String(err) });
      return partitions.map((tp) => ({ ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    }
  }
}

export class ClusterAddPartitionsToTxnSender implements AddPartitionsToTxnSender {
  constructor(private readonly broker: Broker, private readonly peers: PeerChannels) {}

  async send(entry: AddPartitionsToTxnEntry, version: number): Promise<number[]> {
    const { broker } = this;
    const state = broker.topics.get(TRANSACTION_STATE_TOPIC_NAME);
    if (state === undefined) return entry.partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const coordinator = leaderOf(broker, TRANSACTION_STATE_TOPIC_NAME, partitionForTransactionalId(entry.transactionalId, state.numPartitions));
    if (coordinator === broker.nodeId) return addOrVerifyAtCoordinator(broker.transactions.service, entry, version);
    if (coordinator < 0 || !broker.isBrokerLive(coordinator)) return entry.partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    const topics = new Map<string, number[]>();
    for (const tp of entry.partitions) topics.set(tp.topic, [...(topics.get(tp.topic) ?? []), tp.partition]);
    try {
      const res = await this.peers.get(coordinator).send(AddPartitionsToTxn, version, {
        transactions: [{
          transactionalId: entry.transactionalId, producerId: entry.producerId, producerEpoch: entry.producerEpoch, verifyOnly: entry.verifyOnly,
          topics: [...topics].map(([name, partitions]) => ({ name, partitions })),
        }],
        v3AndBelowTransactionalId: '', v3AndBelowProducerId: 0, v3AndBelowProducerEpoch: 0, v3AndBelowTopics: [],
      });
      if (res.errorCode !== ErrorCode.NONE) return entry.partitions.map(() => res.errorCode);
      const answered = new Map<string, number>();
      for (const r of res.resultsByTransaction) for (const t of r.topicResults) for (const p of t.resultsByPartition) answered.set(`${t.name}\u0000${p.partitionIndex}`, p.partitionErrorCode);
      return entry.partitions.map((tp) => answered.get(`${tp.topic}\u0000${tp.partition}`) ?? ErrorCode.COORDINATOR_NOT_AVAILABLE);
    } catch (err) {
      broker.logger.debug('AddPartitionsToTxn to the transaction coordinator failed; the producer retries', { coordinator, error: String(err) });
      return entry.partitions.map(() => ErrorCode.COORDINATOR_NOT_AVAILABLE);
    }
  }
}
