/**
 * Where metadata records are kept durably. The TopicManager plans a change against the
 * current image, appends the change's records here, and only then publishes the new image
 * (to readers and to MetadataListeners). Today the store is a journal file on the broker's
 * first log dir (file-metadata-store.ts); with several brokers it becomes a shared store
 * (etcd: a compare-and-set append at the expected offset, and a watch for other writers).
 *
 * Contract:
 * - load() returns the durable state at start-up (offset = records applied). Called once,
 *   before any append.
 * - append(records) is one atomic change: after it resolves the records are durable and the
 *   returned image includes them; if it rejects none of them is applied (a later load() may
 *   still find them, as with any write whose acknowledgement was lost, but a store keeps
 *   serving only if it could undo them). Appends are called one at a time.
 * - close() releases files or connections; the store is unusable afterwards.
 */
import type { MetadataImage } from './metadata-image.js';
import type { MetadataRecord } from './metadata-records.js';

export interface MetadataStore {
  load(): Promise<MetadataImage>;
  append(records: readonly MetadataRecord[]): Promise<MetadataImage>;
  close(): Promise<void>;
}
