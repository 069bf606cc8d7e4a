/**
 * DescribeProducers (API key 61), version 0 (KIP-664; what kafka-transactions.sh
 * describe-producers shows).
 *
 * Behavior, per partition (Kafka's KafkaApis.handleDescribeProducersRequest and
 * ReplicaManager.activeProducerState): READ on the topic (TOPIC_AUTHORIZATION_FAILED);
 * UNKNOWN_TOPIC_OR_PARTITION for a partition the metadata does not name,
 * NOT_LEADER_OR_FOLLOWER for one this broker does not host; otherwise the producers the
 * replica's producer state knows — id, epoch, last sequence, last timestamp, coordinator epoch
 * (-1 when no marker was written) and the first offset of its open transaction (-1 when none).
 * Any hosted replica answers (leader or follower), as in Kafka.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeProducers, type DescribeProducersResponse } from '../../protocol/messages/describe-producers.js';
import { authorize, defineHandler } from '../handler.js';

const MESSAGES: Record<number, string> = {
  [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]: 'This server does not host this topic-partition.',
  [ErrorCode.NOT_LEADER_OR_FOLLOWER]: 'This server is not the leader or a follower for that topic-partition.',
};

export default defineHandler({
  api: DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req): DescribeProducersResponse {
    const replicas = ctx.broker.replicaManager;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => {
        const allowed = authorize(ctx, 'READ', 'TOPIC', t.name);
        return {
          name: t.name,
          partitions: t.partitionIndexes.map((partitionIndex) => {
            if (!allowed) return { partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] };
            const p = replicas.getPartitionOrError(t.name, partitionIndex);
            if (typeof p === 'number') return { partitionIndex, errorCode: p, errorMessage: MESSAGES[p] ?? null, activeProducers: [] };
            return { partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null, activeProducers: p.activeProducers() };
          }),
        };
      }),
    };
  },
});
