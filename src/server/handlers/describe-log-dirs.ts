/**
 * DescribeLogDirs (key 35), v1-4.
 *
 * Behavior: one result per log dir of this broker (`log.dirs`), listing the partitions it
 * keeps — every one when `topics` is null, else only those asked for that live there — with
 * their size on disk (the segments' bytes), an offset lag of 0 (Kafka's lag of a current
 * replica against its own log end; Sherwood has no future replicas, so isFutureKey is false).
 * totalBytes / usableBytes (v4) are -1: the file-system layer does not expose the volume's
 * space. Needs DESCRIBE on the cluster: otherwise CLUSTER_AUTHORIZATION_FAILED at the top level
 * (v3+) and no results.
 * Version notes: v2 is flexible; v3 adds the top-level errorCode; v4 the volume sizes.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { DescribeLogDirs, type DescribeLogDirsRequest, type DescribeLogDirsResponse } from '../../protocol/messages/describe-log-dirs.js';
import { defineHandler } from '../handler.js';

export default defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponse>({
  api: DescribeLogDirs,
  minVersion: 1,
  maxVersion: 4,
  clusterOperation: 'DESCRIBE',
  errorResponse: (_req, errorCode) => ({ throttleTimeMs: 0, errorCode, results: [] }),
  handle(ctx, req) {
    const logs = ctx.broker.logs;
    const asked = req.topics === null ? null : new Map(req.topics.map((t) => [t.topic, new Set(t.partitions)]));
    const results: DescribeLogDirsResponse['results'] = logs.dirs.map((dir) => {
      const byTopic = new Map<string, DescribeLogDirsResponse['results'][number]['topics'][number]>();
      const inDir = logs.logsIn(dir)
        .filter((l) => asked === null || asked.get(l.topic)?.has(l.partition) === true)
        .sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
      for (const l of inDir) {
        let t = byTopic.get(l.topic);
        if (t === undefined) byTopic.set(l.topic, (t = { name: l.topic, partitions: [] }));
        t.partitions.push({ partitionIndex: l.partition, partitionSize: l.size, offsetLag: 0, isFutureKey: false });
      }
      return { errorCode: ErrorCode.NONE, logDir: dir, topics: [...byTopic.values()], totalBytes: -1, usableBytes: -1 };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
});
