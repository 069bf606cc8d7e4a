/**
 * The embedded "consumer" protocol (ConsumerProtocolSubscription / ConsumerProtocolAssignment)
 * that clients carry inside JoinGroup metadata and SyncGroup assignments. The coordinator reads
 * it only to learn which topics a group subscribes to (OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC,
 * offset expiration of unsubscribed topics). Every version starts with:
 *
 *   version int16, topics [string] (int32 count, int16-length strings), ...
 *
 * (both structs are non-flexible in every version, so the prefix reads the same everywhere).
 */
import { Reader } from '../../protocol/primitives.js';

/** The topics in a ConsumerProtocolSubscription, or null when the bytes do not parse. */
export function subscribedTopics(metadata: Buffer): string[] | null {
  if (metadata.length < 6) return null;
  const r = new Reader(metadata);
  const version = r.int16();
  if (version < 0) return null;
  const count = r.int32();
  if (count < 0 || count > metadata.length) return null;
  const topics: string[] = [];
  for (let i = 0; i < count; i++) topics.push(r.string());
  return r.error === null ? topics : null;
}

/** The partitions in a ConsumerProtocolAssignment, or null when the bytes do not parse. */
export function assignedPartitions(assignment: Buffer): { topic: string; partitions: number[] }[] | null {
  if (assignment.length === 0) return [];
  const r = new Reader(assignment);
  const version = r.int16();
  if (version < 0) return null;
  const count = r.int32();
  if (count < 0 || count > assignment.length) return null;
  const out: { topic: string; partitions: number[] }[] = [];
  for (let i = 0; i < count && r.error === null; i++) {
    const topic = r.string();
    const n = r.int32();
    if (n < 0 || n > assignment.length) return null;
    const partitions: number[] = [];
    for (let j = 0; j < n; j++) partitions.push(r.int32());
    out.push({ topic, partitions });
  }
  return r.error === null ? out : null;
}
