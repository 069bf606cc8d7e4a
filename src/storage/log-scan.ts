/**
 * Header-only scans over a partition log, for state rebuilt from the log at start-up (producer
 * state, transaction markers, coordinator replays that only need headers). Reads batch headers
 * with large chunked reads (no record decoding) from the batch containing `fromOffset` to the
 * log end offset captured at the start; stop early by returning false from `visit`.
 */
import { readBatchHeader, type BatchHeader } from '../protocol/record-batch.js';
import { BatchCursor } from './log-segment.js';
import type { PartitionLog } from './partition-log.js';

export async function scanBatchHeaders(
  log: PartitionLog,
  fromOffset: number,
  visit: (header: BatchHeader) => boolean | void,
): Promise<void> {
  const endOffset = log.logEndOffset;
  for (const seg of [...log.segments]) {
    if (seg.nextOffset <= fromOffset && seg !== log.activeSegment) continue;
    if (seg.isDeleted) continue;
    seg.acquire();
    try {
      const cursor = new BatchCursor(seg.fileHandle, await seg.positionOf(fromOffset), seg.size);
      for (;;) {
        const r = await cursor.next(false);
        if (r.kind !== 'batch') break;
        const header = readBatchHeader(r.buf, r.at);
        if (header.baseOffset >= endOffset) return;
        if (header.baseOffset + header.lastOffsetDelta < fromOffset) continue;
        if (visit(header) === false) return;
      }
    } finally {
      seg.release();
    }
  }
}
