import { makeSimpleBatch } from './_batches.js';

/** The i-th batch the crash writer appends (deterministic, so the parent can rebuild it). */
export function crashBatch(i: number): Buffer {
  return makeSimpleBatch(1 + (i % 4), 100 + ((i * 37) % 400), { baseTimestamp: 1_700_000_000_000 + i }, `b${i}-`);
}
