/**
 * OffsetDelete (API key 47), version 0 (KIP-496).
 *
 * Behavior: GROUP_ID_NOT_FOUND for an unknown group; NON_EMPTY_GROUP for a non-empty group
 * that does not use the "consumer" protocol; per partition GROUP_SUBSCRIBED_TO_TOPIC while a
 * member subscribes to the topic, UNKNOWN_TOPIC_OR_PARTITION for partitions that do not exist,
 * else the committed offset (if any) is deleted with a tombstone, answered once durable.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { OffsetDelete, type OffsetDeleteResponse } from '../../protocol/messages/offset-delete.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';
import { partitionExists, tpKey } from './_group-helpers.js';

export default defineHandler({
  api: OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req): Promise<OffsetDeleteResponse> {
    const groups = getGroupRuntime(ctx.broker);
    const unavailable = await groups.availability();
    if (unavailable !== 0) return { errorCode: unavailable, throttleTimeMs: 0, topics: [] };
    const known = req.topics
      .map((t) => ({ name: t.name, partitions: t.partitions.filter((p) => partitionExists(ctx.broker, t.name, p.partitionIndex)) }))
      .filter((t) => t.partitions.length > 0);
    const res = await groups.service.deleteOffsets({ groupId: req.groupId, topics: known });
    if (res.errorCode !== ErrorCode.NONE) return res;
    const codes = new Map<string, number>();
    for (const t of res.topics) for (const p of t.partitions) codes.set(tpKey(t.name, p.partitionIndex), p.errorCode);
    return {
      errorCode: ErrorCode.NONE,
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          errorCode: codes.get(tpKey(t.name, p.partitionIndex)) ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        })),
      })),
    };
  },
});
