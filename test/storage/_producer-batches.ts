// Batches of idempotent and transactional producers and COMMIT/ABORT markers for producer
// state tests, built with the storage tests' local encoder (_batches.ts).
import { makeBatch, makeSimpleBatch } from './_batches.js';

export const TS = 1_700_000_000_000;

export interface ProducerBatchOptions {
  /** Records in the batch (default 1). */
  count?: number;
  timestamp?: number;
  transactional?: boolean;
  valueBytes?: number;
}

/** A batch of `producerId`/`epoch` starting at sequence `seq`. */
export function producerBatch(producerId: number, epoch: number, seq: number, options: ProducerBatchOptions = {}): Buffer {
  return makeSimpleBatch(options.count ?? 1, options.valueBytes ?? 16, {
    producerId,
    producerEpoch: epoch,
    baseSequence: seq,
    baseTimestamp: options.timestamp ?? TS,
    attributes: options.transactional === true ? 0x10 : 0,
  });
}

/** A COMMIT (or ABORT) marker: one control record, key version 0 + type, value version 0 + coordinator epoch. */
export function markerBatch(producerId: number, epoch: number, commit: boolean, coordinatorEpoch = 0, timestamp = TS): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(commit ? 1 : 0, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(coordinatorEpoch, 2);
  return makeBatch([{ key, value, timestamp }], { producerId, producerEpoch: epoch, baseSequence: -1, baseTimestamp: timestamp, attributes: 0x30 });
}

/** A batch without a producer id (a plain, non-idempotent producer). */
export function plainBatch(count = 1, timestamp = TS): Buffer {
  return makeSimpleBatch(count, 16, { baseTimestamp: timestamp });
}
