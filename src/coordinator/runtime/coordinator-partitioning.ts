/**
 * Which partition of an internal topic coordinates a key (a group id in `__consumer_offsets`, a
 * transactional id in `__transaction_state`): Kafka's `Utils.abs(key.hashCode()) % partitions`,
 * with Java's String.hashCode, so a key lands on the partition Kafka would pick.
 */

/** Java's String.hashCode over UTF-16 code units, as Kafka computes it. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's `Utils.abs(key.hashCode()) % numPartitions`. */
export function partitionForKey(key: string, numPartitions: number): number {
  // Utils.abs maps Integer.MIN_VALUE to 0 (it is `n & 0x7fffffff`).
  return (javaStringHashCode(key) & 0x7fffffff) % numPartitions;
}
