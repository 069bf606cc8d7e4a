/**
 * Helpers shared by the group handlers: which requested partitions exist (Kafka answers
 * UNKNOWN_TOPIC_OR_PARTITION for the others before the coordinator sees them), and the
 * authorized-operations bit field Kafka reports for groups.
 */
import type { Broker } from '../broker.js';

/** READ(3), DELETE(6), DESCRIBE(8), DESCRIBE_CONFIGS(10), ALTER_CONFIGS(11): all allowed without an authorizer. */
export const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8) | (1 << 10) | (1 << 11);
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

export function partitionExists(broker: Broker, topic: string, partition: number): boolean {
  const info = broker.topics.get(topic);
  return info !== undefined && partition >= 0 && partition < info.numPartitions;
}

export const tpKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;
