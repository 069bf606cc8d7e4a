/**
 * The per-partition settings the storage engine obeys. The cluster layer maps Kafka's topic
 * configs (segment.bytes, retention.ms, ...) and broker defaults onto this shape; storage
 * never parses property strings.
 */
export interface LogConfig {
  /** segment.bytes */
  segmentBytes: number;
  /** segment.ms */
  segmentMs: number;
  /** segment.index.bytes: the offset index (and time index) size cap; a full index rolls. */
  segmentIndexBytes: number;
  /** index.interval.bytes */
  indexIntervalBytes: number;
  /** retention.ms; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes; -1 means no size limit. */
  retentionBytes: number;
  /** cleanup.policy */
  cleanupPolicy: { delete: boolean; compact: boolean };
  /** delete.retention.ms: how long tombstones survive compaction. */
  deleteRetentionMs: number;
  /** min.cleanable.dirty.ratio */
  minCleanableDirtyRatio: number;
  /** min.compaction.lag.ms */
  minCompactionLagMs: number;
  /** flush.messages; Kafka's default (Long.MAX_VALUE) relies on the page cache. */
  flushMessages: number;
  /** flush.ms */
  flushMs: number;
  /** max.message.bytes: the largest record batch accepted. */
  maxMessageBytes: number;
  /** message.timestamp.type */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
  /** file.delete.delay.ms */
  fileDeleteDelayMs: number;
}

export const DEFAULT_LOG_CONFIG: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 60 * 60 * 1000,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 60 * 60 * 1000,
  retentionBytes: -1,
  cleanupPolicy: { delete: true, compact: false },
  deleteRetentionMs: 24 * 60 * 60 * 1000,
  minCleanableDirtyRatio: 0.5,
  minCompactionLagMs: 0,
  flushMessages: Number.MAX_SAFE_INTEGER,
  flushMs: Number.MAX_SAFE_INTEGER,
  maxMessageBytes: 1048588,
  messageTimestampType: 'CreateTime',
  fileDeleteDelayMs: 60000,
};
