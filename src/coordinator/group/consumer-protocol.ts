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
