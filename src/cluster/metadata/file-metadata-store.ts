/**
 * FileMetadataStore: the single broker's MetadataStore, a journal of record batches with
 * periodic snapshots, in `<first log dir>/sherwood-metadata/`:
 *
 *   <offset>.snapshot   one frame (metadata-frame.ts) holding records that rebuild the image
 *                       after `offset` journal records; written with writeFileAtomic
 *   <offset>.journal    batch frames appended after that snapshot; the first batch's offset
 *                       is `offset` (the file name), each next one follows the previous
 *   *.tmp               a snapshot being written; deleted on load
 * `<offset>` is the record count as 20 decimal digits. There is always exactly one journal in
 * use, the one named after the latest snapshot (`00000000000000000000.journal` before the first).
 *
 * append: one change (one request) is one batch frame, written at the journal's end and
 * fsynced before append resolves. A failed write or fsync truncates the journal back to where
 * the batch began (and fsyncs that) so the failed change cannot reappear on restart; if even
 * that fails, the store refuses further appends until it is reopened.
 *
 * Snapshots: after `snapshotIntervalBytes` of journal (Kafka's
 * metadata.log.max.record.bytes.between.snapshots) or `snapshotIntervalRecords` records, the
 * current image is written as `<offset>.snapshot`, a fresh `<offset>.journal` is created and
 * fsynced, and only then are older journals and snapshots deleted. A crash at any step leaves
 * the newest complete snapshot plus the journal after it, or the older pair.
 *
 * load: the latest snapshot (a snapshot that does not decode is a startup error naming it —
 * never skipped, since older journals are gone), then every batch of its journal. A journal
 * tail that is short or fails its CRC (a torn write from a crash, or damage) is truncated with
 * a warning; a whole frame that does not replay is a startup error.
 *
 * Migration: a data dir from before the journal has `<first log dir>/sherwood-metadata.json`
 * (legacy-metadata-file.ts). On first load its content becomes the first snapshot; then the
 * old file is renamed to `sherwood-metadata.json.migrated`. A crash in between finds both, and
 * the snapshot wins (the rename is finished).
 */
import type { FileHandle, FileSystem } from '../../base/file-system.js';
import type { Logger } from '../../base/logger.js';
import { CorruptRecordError, StorageError } from '../../base/errors.js';
import { EMPTY_METADATA_IMAGE, imageAtOffset, imageRecords, type MetadataImage } from './metadata-image.js';
import { MetadataDelta } from './metadata-delta.js';
import type { MetadataRecord } from './metadata-records.js';
import type { MetadataStore } from './metadata-store.js';
import { decodeJournal, decodeSnapshot, encodeBatch, encodeSnapshot } from './metadata-frame.js';
import { LEGACY_METADATA_FILE_NAME, legacyMetadataRecords } from './legacy-metadata-file.js';

export const METADATA_DIR_NAME = 'sherwood-metadata';
/** Kafka's metadata.log.max.record.bytes.between.snapshots default. */
export const DEFAULT_SNAPSHOT_INTERVAL_BYTES = 20 * 1024 * 1024;
export const DEFAULT_SNAPSHOT_INTERVAL_RECORDS = 100_000;

export interface FileMetadataStoreOptions {
  fs: FileSystem;
  /** The broker's first log dir. */
  logDir: string;
  logger: Logger;
  /** Legacy topics were all led by this broker. */
  nodeId: number;
  snapshotIntervalBytes?: number;
  snapshotIntervalRecords?: number;
}

const pad = (offset: number) => String(offset).padStart(20, '0');
const FILE = /^(\d{20})\.(snapshot|journal)$/;

export class FileMetadataStore implements MetadataStore {
  private image: MetadataImage = EMPTY_METADATA_IMAGE;
  private journal: FileHandle | null = null;
  private journalBase = 0;
  private journalEnd = 0;
  private failed: unknown = null;
  private closed = false;
  private readonly dir: string;
  private readonly snapshotBytes: number;
  private readonly snapshotRecords: number;
  /** Raised after a failed snapshot so the next attempt waits for another interval. */
  private snapshotAfterRecords = 0;
  private snapshotAfterBytes = 0;
  /** Counters for tests and benchmarks. */
  readonly stats = { batches: 0, snapshots: 0 };

  constructor(private readonly opts: FileMetadataStoreOptions) {
    this.dir = `${opts.logDir.replace(/\/+$/, '')}/${METADATA_DIR_NAME}`;
    this.snapshotBytes = opts.snapshotIntervalBytes ?? DEFAULT_SNAPSHOT_INTERVAL_BYTES;
    this.snapshotRecords = opts.snapshotIntervalRecords ?? DEFAULT_SNAPSHOT_INTERVAL_RECORDS;
  }

  get directory(): string {
    return this.dir;
  }

  private get legacyPath(): string {
    return `${this.opts.logDir.replace(/\/+$/, '')}/${LEGACY_METADATA_FILE_NAME}`;
  }

  async load(): Promise<MetadataImage> {
    const { fs, logger } = this.opts;
    await fs.mkdirp(this.dir);
    const snapshots: number[] = [];
    const journals: number[] = [];
    for (const name of await fs.readdir(this.dir)) {
      if (name.endsWith('.tmp')) {
        await fs.unlink(`${this.dir}/${name}`);
        continue;
      }
      const m = FILE.exec(name);
      if (m === null) continue;
      (m[2] === 'snapshot' ? snapshots : journals).push(Number(m[1]));
    }
    snapshots.sort((a, b) => a - b);
    const latest = snapshots.at(-1);
    const legacy = await fs.exists(this.legacyPath);
    if (legacy && latest === undefined && !(await this.journalsHaveData(journals))) {
      await this.migrate();
    } else {
      if (legacy) {
        logger.warn('finishing an interrupted migration of the old topic metadata file', { file: this.legacyPath });
        await this.retireLegacyFile();
      }
      const base = latest ?? 0;
      const strayJournal = journals.find((j) => j > base);
      if (strayJournal !== undefined) {
        throw new CorruptRecordError(`metadata journal ${this.path(strayJournal, 'journal')} has no snapshot ${this.path(strayJournal, 'snapshot')} before it`);
      }
      const image = latest === undefined ? EMPTY_METADATA_IMAGE : await this.readSnapshot(latest);
      await this.openJournal(base, journals.includes(base));
      this.image = await this.replayJournal(image);
    }
    await this.deleteOlderThan(this.journalBase);
    return this.image;
  }

  async append(records: readonly MetadataRecord[]): Promise<MetadataImage> {
    if (this.closed) throw new StorageError('the metadata store is closed');
    if (this.failed !== null) throw new StorageError('the metadata journal failed earlier; restart the broker', { cause: this.failed });
    if (records.length === 0) return this.image;
    // Replay first: a batch that does not fit the image is a bug and is never written.
    const next = new MetadataDelta(this.image).replayAll(records).apply().image;
    const frame = encodeBatch(this.image.offset, records);
    const journal = this.journal!;
    const position = this.journalEnd;
    try {
      await journal.write(frame, position);
      await journal.sync();
    } catch (err) {
      await this.undo(position);
      throw new StorageError(`writing the metadata journal ${this.path(this.journalBase, 'journal')} failed`, { cause: err });
    }
    this.journalEnd = position + frame.length;
    this.image = next;
    this.stats.batches++;
    const records0 = this.image.offset - this.journalBase;
    if (this.journalEnd >= this.snapshotAfterBytes || records0 >= this.snapshotAfterRecords) await this.trySnapshot();
    return this.image;
  }

  async close(): Promise<void> {
    this.closed = true;
    const j = this.journal;
    this.journal = null;
    await j?.close();
  }

  // ---- internals ----------------------------------------------------------------------------

  private path(offset: number, kind: 'snapshot' | 'journal'): string {
    return `${this.dir}/${pad(offset)}.${kind}`;
  }

  private async journalsHaveData(journals: number[]): Promise<boolean> {
    for (const j of journals) {
      if ((await this.opts.fs.readFile(this.path(j, 'journal'))).length > 0) return true;
    }
    return false;
  }

  private async readSnapshot(offset: number): Promise<MetadataImage> {
    const path = this.path(offset, 'snapshot');
    try {
      const s = decodeSnapshot(await this.opts.fs.readFile(path));
      if (s.offset !== offset) throw new CorruptRecordError(`it says offset ${s.offset}`);
      const { image } = new MetadataDelta(EMPTY_METADATA_IMAGE).replayAll(s.records).apply();
      // The snapshot's records are fewer than the journal records it stands for.
      return imageAtOffset(image, offset);
    } catch (err) {
      throw new CorruptRecordError(`metadata snapshot ${path} is corrupt: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Opens (or creates, durably) the journal after the snapshot at `base`. */
  private async openJournal(base: number, exists: boolean): Promise<void> {
    const { fs } = this.opts;
    const fh = await fs.open(this.path(base, 'journal'), exists ? 'readwrite' : 'create');
    if (!exists) {
      await fh.sync();
      await fs.syncDir(this.dir);
    }
    const old = this.journal;
    this.journal = fh;
    this.journalBase = base;
    this.journalEnd = await fh.size();
    this.snapshotAfterBytes = this.snapshotBytes;
    this.snapshotAfterRecords = this.snapshotRecords;
    await old?.close();
  }

  private async replayJournal(image: MetadataImage): Promise<MetadataImage> {
    const path = this.path(this.journalBase, 'journal');
    const contents = decodeJournal(await this.opts.fs.readFile(path));
    const delta = new MetadataDelta(image);
    for (const batch of contents.batches) {
      const expected = image.offset + delta.recordCount;
      if (batch.offset !== expected) {
        throw new CorruptRecordError(`metadata journal ${path}: batch at byte ${batch.position} has offset ${batch.offset}, expected ${expected}`);
      }
      try {
        delta.replayAll(batch.records);
      } catch (err) {
        throw new CorruptRecordError(`metadata journal ${path}: batch at offset ${batch.offset}: ${(err as Error).message}`, { cause: err });
      }
    }
    if (contents.tailError !== null) {
      this.opts.logger.warn('truncating a torn or corrupt metadata journal tail', {
        file: path, validBytes: contents.validBytes, droppedBytes: this.journalEnd - contents.validBytes, reason: contents.tailError,
      });
      await this.journal!.truncate(contents.validBytes);
      await this.journal!.sync();
      this.journalEnd = contents.validBytes;
    }
    return delta.apply().image;
  }

  private async undo(position: number): Promise<void> {
    try {
      await this.journal!.truncate(position);
      await this.journal!.sync();
    } catch (err) {
      this.failed = err;
      this.opts.logger.error('could not undo a failed metadata journal write; metadata changes are refused until restart', { error: String(err) });
    }
  }

  private async trySnapshot(): Promise<void> {
    try {
      await this.writeSnapshot(this.image);
    } catch (err) {
      // The batch is durable in the journal; keep appending there and try again later.
      this.snapshotAfterBytes = this.journalEnd + this.snapshotBytes;
      this.snapshotAfterRecords = this.image.offset - this.journalBase + this.snapshotRecords;
      this.opts.logger.warn('writing a metadata snapshot failed; will retry after more changes', { error: String(err) });
    }
  }

  /** Snapshot (commit point), fresh journal, then the older files go. */
  private async writeSnapshot(image: MetadataImage): Promise<void> {
    const offset = image.offset;
    await this.opts.fs.writeFileAtomic(this.path(offset, 'snapshot'), encodeSnapshot(offset, imageRecords(image)));
    if (offset !== this.journalBase || this.journal === null) await this.openJournal(offset, false);
    this.stats.snapshots++;
    await this.deleteOlderThan(offset);
  }

  private async deleteOlderThan(base: number): Promise<void> {
    const { fs } = this.opts;
    let deleted = false;
    for (const name of await fs.readdir(this.dir)) {
      const m = FILE.exec(name);
      if (m === null || Number(m[1]) >= base) continue;
      await fs.unlink(`${this.dir}/${name}`);
      deleted = true;
    }
    if (deleted) await fs.syncDir(this.dir);
  }

  private async migrate(): Promise<void> {
    const { fs, logger, nodeId } = this.opts;
    const records = legacyMetadataRecords(await fs.readFile(this.legacyPath), this.legacyPath, nodeId);
    const { image } = new MetadataDelta(EMPTY_METADATA_IMAGE).replayAll(records).apply();
    this.image = image;
    this.journal = null;
    await this.writeSnapshot(image);
    await this.retireLegacyFile();
    logger.info('migrated topic metadata to the metadata journal', { from: this.legacyPath, topics: image.topicCount, to: this.dir });
  }

  private async retireLegacyFile(): Promise<void> {
    await this.opts.fs.rename(this.legacyPath, `${this.legacyPath}.migrated`);
    await this.opts.fs.syncDir(this.opts.logDir);
  }
}
