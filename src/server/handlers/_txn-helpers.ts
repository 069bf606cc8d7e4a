/**
 * Helpers shared by the transactional handlers: Kafka's version mapping of PRODUCER_FENCED
 * (clients older than the version that introduced it get INVALID_PRODUCER_EPOCH, which they
 * handle the same way), and the `__consumer_offsets` partition of a group (AddOffsetsToTxn,
 * TxnOffsetCommit's verification), computed as the group coordinator computes it.
 */
import { partitionForGroup } from '../../coordinator/group/records.js';
import { GROUP_METADATA_TOPIC_NAME } from '../../cluster/topic-name.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Broker } from '../broker.js';

/** PRODUCER_FENCED → INVALID_PRODUCER_EPOCH below `sinceVersion` (InitProducerId 4, EndTxn/AddPartitions/AddOffsets 2). */
export function fencedErrorFor(errorCode: number, version: number, sinceVersion: number): number {
  return errorCode === ErrorCode.PRODUCER_FENCED && version < sinceVersion ? ErrorCode.INVALID_PRODUCER_EPOCH : errorCode;
}

/** The group's `__consumer_offsets` partition: the existing topic's partition count, else offsets.topic.num.partitions. */
export function offsetsPartitionFor(broker: Broker, groupId: string): number {
  const started = broker.groups.serviceIfStarted;
  if (started !== undefined) return started.partitionFor(groupId);
  const count = broker.topics.get(GROUP_METADATA_TOPIC_NAME)?.numPartitions ?? broker.config.getInt('offsets.topic.num.partitions');
  return partitionForGroup(groupId, count);
}
