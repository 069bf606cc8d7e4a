/**
 * OffsetForLeaderEpoch (API key 23), versions 2-4 (KIP-101/KIP-320: a consumer or follower
 * asks where a leader epoch ended, to detect log truncation).
 *
 * Behavior, per partition: UNKNOWN_TOPIC_OR_PARTITION for a partition we do not have;
 * FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH when currentLeaderEpoch (if not -1) is older /
 * newer than ours; otherwise the leader-epoch cache's answer: the largest epoch <= the
 * requested one and its end offset (the log end offset for the current epoch), or -1 / -1
 * when the epoch is unknown (UNDEFINED_EPOCH).
 * Version notes: replicaId from v3 (-1 consumer, -2 debug), flexible from v4.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetForLeaderEpoch, type OffsetForLeaderEpochResponse } from '../../protocol/messages/offset-for-leader-epoch.js';
import { defineHandler } from '../handler.js';

/** Kafka's debugging replica id (v3+): may ask any replica, not only the leader. */
const DEBUGGING_REPLICA_ID = -2;

export default defineHandler({
  api: OffsetForLeaderEpoch,
  minVersion: 2,
  maxVersion: 4,
  handle(ctx, req): OffsetForLeaderEpochResponse {
    const broker = ctx.broker;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          const partition = broker.replicaManager.getPartitionOrError(t.topic, p.partition);
          if (typeof partition === 'number') return { errorCode: partition, partition: p.partition, leaderEpoch: -1, endOffset: -1 };
          const r = partition.lastOffsetForLeaderEpoch(p.currentLeaderEpoch, p.leaderEpoch, req.replicaId !== DEBUGGING_REPLICA_ID);
          return { errorCode: r.errorCode, partition: p.partition, leaderEpoch: r.leaderEpoch, endOffset: r.endOffset };
        }),
      })),
    };
  },
});
