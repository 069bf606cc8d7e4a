/**
 * Where metadata records are kept durably. The TopicManager plans a change against the
 * current image, appends the change's records here, and only then publishes the new image
 * (to readers and to MetadataListeners). On a single broker the store is a journal file on the
 * broker's first log dir (file-metadata-store.ts); in a cluster it is shared by every broker
 * (etcd: a compare-and-set append at the expected offset, and a watch for other writers).
 *
 * Contract:
 * - load() returns the durable state at start-up (offset = records applied). Called once,
 *   before any append.
 * - append(records, expectedOffset?) is one atomic change: after it resolves the records are
 *   durable and the returned image includes them; if it rejects none of them is applied (a later
 *   load() may still find them, as with any write whose acknowledgement was lost, but a store
 *   keeps serving only if it could undo them). Appends are called one at a time.
 *   `expectedOffset` (shared stores): the offset the caller planned against. If the log moved
 *   past it (another writer appended first) the append rejects with MetadataConflictError and
 *   writes nothing; the caller waits until it has seen the remote records (onRemoteRecords) and
 *   plans again. A single-writer store may ignore it.
 * - onRemoteRecords(fn) (shared stores only): `fn` receives, in log order and exactly once,
 *   every batch appended by another writer after load() or after the previous batch it saw,
 *   with the image after that batch. Never called for the caller's own appends.
 * - close() releases files or connections; the store is unusable afterwards.
 */
import { BrokerError } from '../../base/errors.js';
import type { MetadataImage } from './metadata-image.js';
import type { MetadataRecord } from './metadata-records.js';

export interface MetadataStore {
  load(): Promise<MetadataImage>;
  append(records: readonly MetadataRecord[], expectedOffset?: number): Promise<MetadataImage>;
  /** Shared stores: batches appended by other writers, in log order (see the file header). */
  onRemoteRecords?(fn: (records: readonly MetadataRecord[], image: MetadataImage) => void): void;
  close(): Promise<void>;
}

/** A compare-and-set append found the shared log past the offset the change was planned at. */
export class MetadataConflictError extends BrokerError {
  constructor(readonly expectedOffset: number, readonly actualOffset: number) {
    super('SHERWOOD_STORAGE', `metadata log moved: expected offset ${expectedOffset}, found ${actualOffset}`);
    this.name = 'MetadataConflictError';
  }
}

/**
 * A controller's append was refused because the controller key's epoch is no longer the one the
 * change was planned under: the writer was deposed (docs/cluster.md, controller fencing).
 */
export class ControllerFencedError extends BrokerError {
  constructor(readonly plannedEpoch: number, readonly currentEpoch: number) {
    super('SHERWOOD_STORAGE', `controller fenced: planned under controller epoch ${plannedEpoch}, the controller epoch is now ${currentEpoch}`);
    this.name = 'ControllerFencedError';
  }
}
