/**
 * All partition logs of a broker, spread over one or more log dirs.
 *
 * Layout of each log dir:
 *   <topic>-<partition>/                   one PartitionLog (see partition-log.ts)
 *   <topic>-<partition>.<id>-delete/       a deleted log being removed (finished on startup)
 *   recovery-point-offset-checkpoint       `topic partition offset`: fsynced up to here
 *   log-start-offset-checkpoint            `topic partition offset`: logStartOffset per log
 *   cleaner-offset-checkpoint              `topic partition offset`: compaction done below here
 *   .kafka_cleanshutdown                   written by close() after every log is flushed;
 *                                          deleted on open, so only a clean stop skips recovery
 *   .lock                                  the dir's lock (FileSystem.lock), held from open()
 *                                          to close(): a second broker on the dir, in this
 *                                          process or another, is refused with a ConfigError
 * Checkpoint files use Kafka's text format (checkpoint-file.ts) and are written atomically.
 *
 * Background tasks (startBackgroundTasks) run on the injected clock: retention every
 * retentionCheckIntervalMs (log.retention.check.interval.ms, 5 min), compaction every
 * cleanerBackoffMs (15 s), flush.ms checks every flushCheckIntervalMs, checkpoints every
 * checkpointIntervalMs (60 s) and idle producers expire every producerIdExpirationCheckIntervalMs
 * (producer.id.expiration.check.interval.ms, 10 min). Each reschedules itself after finishing, so runs never overlap.
 */
import type { Clock, TimerHandle } from '../base/clock.js';
import { isLockHeld, type FileLock, type FileSystem } from '../base/file-system.js';
import { ConfigError } from '../base/errors.js';
import type { Logger } from '../base/logger.js';
import { DEFAULT_LOG_CONFIG, type LogConfig } from './log-config.js';
import { PartitionLog } from './partition-log.js';
import type { PartitionLogHooks } from './partition-log-types.js';
import { DEFAULT_MAX_OPEN_FILES, FileHandleCache } from './file-handle-cache.js';
import { readOffsetCheckpoint, writeCheckpoint } from './checkpoint-file.js';
import { DEFAULT_PRODUCER_STATE_CONFIG, type ProducerStateManagerConfig } from './producer-state-manager.js';

export const RECOVERY_POINT_CHECKPOINT = 'recovery-point-offset-checkpoint';
export const LOG_START_OFFSET_CHECKPOINT = 'log-start-offset-checkpoint';
export const CLEANER_OFFSET_CHECKPOINT = 'cleaner-offset-checkpoint';
export const CLEAN_SHUTDOWN_FILE = '.kafka_cleanshutdown';
export const LOCK_FILE = '.lock';

export interface LogManagerOptions {
  fs: FileSystem;
  dirs: string[];
  clock: Clock;
  logger: Logger;
  retentionCheckIntervalMs?: number;
  cleanerBackoffMs?: number;
  flushCheckIntervalMs?: number;
  checkpointIntervalMs?: number;
  producerIdExpirationCheckIntervalMs?: number;
  /** producer.id.expiration.ms, read on use (a getter can follow dynamic config). */
  producerStateConfig?: ProducerStateManagerConfig;
  /** sherwood.log.max.open.files: the most files all logs hold open at once (FileHandleCache). */
  maxOpenFiles?: number;
  /**
   * A log in `dir` failed a write (disk full, I/O error) and went offline; called once per dir.
   * The broker treats it as Kafka treats its last log dir failing: it halts (start.ts).
   */
  onLogDirFailure?(dir: string, err: Error): void;
}

export const DELETE_DIR_SUFFIX = '-delete';
/** The longest file name most file systems allow (Linux NAME_MAX, in bytes; topic names are ASCII). */
const MAX_FILE_NAME_LENGTH = 255;

/**
 * Kafka's LocalLog.logDeleteDirName: `<topic>-<partition>.<uniqueId>-delete`, with the topic
 * cut short when the whole name would exceed 255 characters (a 249-character topic would not
 * fit otherwise). Only the suffix matters on start-up: any `-delete` directory is removed.
 */
export function logDeleteDirName(topic: string, partition: number, uniqueId: string): string {
  const suffix = `-${partition}.${uniqueId}${DELETE_DIR_SUFFIX}`;
  return topic.slice(0, Math.min(topic.length, MAX_FILE_NAME_LENGTH - suffix.length)) + suffix;
}

/** Parses `<topic>-<partition>`; undefined for anything else (e.g. `-delete` dirs). */
export function parseLogDirName(name: string): { topic: string; partition: number } | undefined {
  const m = /^(.+)-(\d+)$/.exec(name);
  if (m === null) return undefined;
  const partition = Number(m[2]);
  if (!Number.isSafeInteger(partition)) return undefined;
  return { topic: m[1]!, partition };
}

/**
 * Logs found on disk open with the default config; the topic layer applies the real one
 * through create() (idempotent) or updateConfig() right after start-up.
 */
function defaultConfig(): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, cleanupPolicy: { ...DEFAULT_LOG_CONFIG.cleanupPolicy } };
}

function key(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export class LogManager {
  private logs = new Map<string, PartitionLog>();
  private logDir = new Map<string, string>();
  private creating = new Map<string, Promise<PartitionLog>>();
  private checkpointQueues = new Map<string, Promise<unknown>>();
  private timers: TimerHandle[] = [];
  private running = new Set<Promise<unknown>>();
  private stopped = false;
  private deleteSeq = 0;
  private dirLocks: FileLock[] = [];
  /** The broker's FileSystem behind the bounded handle cache every log uses. */
  readonly fs: FileHandleCache;
  readonly dirs: string[];
  readonly clock: Clock;
  readonly logger: Logger;
  private readonly failedDirs = new Set<string>();
  private readonly onLogDirFailure: ((dir: string, err: Error) => void) | undefined;
  private readonly intervals: { retention: number; cleaner: number; flush: number; checkpoint: number; producerExpiration: number };
  private readonly producerStateConfig: ProducerStateManagerConfig;

  private constructor(options: LogManagerOptions) {
    this.fs = new FileHandleCache(options.fs, options.maxOpenFiles ?? DEFAULT_MAX_OPEN_FILES);
    this.dirs = options.dirs;
    this.clock = options.clock;
    this.logger = options.logger;
    this.onLogDirFailure = options.onLogDirFailure;
    this.intervals = {
      retention: options.retentionCheckIntervalMs ?? 300_000,
      cleaner: options.cleanerBackoffMs ?? 15_000,
      flush: options.flushCheckIntervalMs ?? 1_000,
      checkpoint: options.checkpointIntervalMs ?? 60_000,
      producerExpiration: options.producerIdExpirationCheckIntervalMs ?? 600_000,
    };
    this.producerStateConfig = options.producerStateConfig ?? DEFAULT_PRODUCER_STATE_CONFIG;
  }

  /**
   * Locks every log dir (Kafka's lockLogDirs), then opens them, recovering each
   * `<topic>-<partition>` directory found. On failure the locks taken are released.
   */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    const manager = new LogManager(options);
    try {
      for (const dir of options.dirs) await manager.lockDir(dir);
      for (const dir of options.dirs) await manager.openDir(dir);
    } catch (err) {
      await manager.releaseLocks();
      throw err;
    }
    return manager;
  }

  private async lockDir(dir: string): Promise<void> {
    await this.fs.mkdirp(dir);
    try {
      this.dirLocks.push(await this.fs.lock(`${dir}/${LOCK_FILE}`));
    } catch (err) {
      if (!isLockHeld(err)) throw err;
      throw new ConfigError(`log.dirs: Failed to acquire lock on file ${LOCK_FILE} in ${dir}. A broker in another process or in this one is using this directory.`, { cause: err });
    }
  }

  private async releaseLocks(): Promise<void> {
    const locks = this.dirLocks;
    this.dirLocks = [];
    for (const l of locks) await l.release();
  }

  private async openDir(dir: string): Promise<void> {
    const { fs } = this;
    await fs.mkdirp(dir);
    const cleanShutdown = await fs.exists(`${dir}/${CLEAN_SHUTDOWN_FILE}`);
    const recoveryPoints = await readOffsetCheckpoint(fs, `${dir}/${RECOVERY_POINT_CHECKPOINT}`);
    const logStartOffsets = await readOffsetCheckpoint(fs, `${dir}/${LOG_START_OFFSET_CHECKPOINT}`);
    const cleanerOffsets = await readOffsetCheckpoint(fs, `${dir}/${CLEANER_OFFSET_CHECKPOINT}`);
    for (const name of await fs.readdir(dir)) {
      if (name.endsWith(DELETE_DIR_SUFFIX)) {
        await fs.rmrf(`${dir}/${name}`);
        continue;
      }
      const parsed = parseLogDirName(name);
      if (parsed === undefined) continue;
      const k = key(parsed.topic, parsed.partition);
      if (this.logs.has(k)) {
        this.logger.error('partition found in two log dirs; keeping the first', { dir, name });
        continue;
      }
      const log = await PartitionLog.open({
        fs,
        dir: `${dir}/${name}`,
        topic: parsed.topic,
        partition: parsed.partition,
        config: defaultConfig(),
        clock: this.clock,
        logger: this.logger,
        logStartOffset: logStartOffsets.get(k) ?? 0,
        recoveryPoint: recoveryPoints.get(k) ?? 0,
        firstDirtyOffset: cleanerOffsets.get(k) ?? 0,
        cleanShutdown,
        hooks: this.hooksFor(dir),
        producerStateConfig: this.producerStateConfig,
      });
      this.logs.set(k, log);
      this.logDir.set(k, dir);
    }
    if (cleanShutdown) {
      await fs.unlink(`${dir}/${CLEAN_SHUTDOWN_FILE}`);
      await fs.syncDir(dir);
    }
  }

  /** The hooks every log of `dir` gets: its log start offsets file, and the dir's failure. */
  private hooksFor(dir: string): PartitionLogHooks {
    return {
      logStartOffsetChanged: () => this.writeLogStartOffsets(dir),
      wentOffline: (_log, err) => {
        if (this.failedDirs.has(dir)) return;
        this.failedDirs.add(dir);
        this.onLogDirFailure?.(dir, err);
      },
    };
  }

  get(topic: string, partition: number): PartitionLog | undefined {
    return this.logs.get(key(topic, partition));
  }

  all(): PartitionLog[] {
    return [...this.logs.values()];
  }

  /** Creates the log (or returns the existing one, applying `config`). */
  async create(topic: string, partition: number, config: LogConfig): Promise<PartitionLog> {
    const k = key(topic, partition);
    const existing = this.logs.get(k);
    if (existing !== undefined) {
      existing.config = config;
      return existing;
    }
    const pending = this.creating.get(k);
    if (pending !== undefined) return pending;
    const dir = this.pickDir();
    const promise = (async () => {
      const log = await PartitionLog.open({
        fs: this.fs,
        dir: `${dir}/${k}`,
        topic,
        partition,
        config,
        clock: this.clock,
        logger: this.logger,
        cleanShutdown: true,
        hooks: this.hooksFor(dir),
        producerStateConfig: this.producerStateConfig,
      });
      await this.fs.syncDir(dir);
      this.logs.set(k, log);
      this.logDir.set(k, dir);
      return log;
    })();
    this.creating.set(k, promise);
    try {
      return await promise;
    } finally {
      this.creating.delete(k);
    }
  }

  /** The log dir holding the fewest partitions. */
  private pickDir(): string {
    if (this.dirs.length === 1) return this.dirs[0]!;
    const counts = new Map<string, number>(this.dirs.map((d) => [d, 0]));
    for (const d of this.logDir.values()) counts.set(d, (counts.get(d) ?? 0) + 1);
    let best = this.dirs[0]!;
    for (const d of this.dirs) if (counts.get(d)! < counts.get(best)!) best = d;
    return best;
  }

  /**
   * Removes the log and its files: renamed to a `-delete` directory first (logDeleteDirName), so
   * that a crash finishes the job on start-up and a topic re-created under the same name starts
   * from an empty directory. Should the rename fail, the directory is removed in place instead:
   * a new log must never find the old one's segments.
   */
  async delete(topic: string, partition: number): Promise<void> {
    const k = key(topic, partition);
    const log = this.logs.get(k);
    const dir = this.logDir.get(k);
    if (log === undefined || dir === undefined) return;
    this.logs.delete(k);
    this.logDir.delete(k);
    try {
      await log.closeWithoutFlush();
    } catch {
      // an offline log is deleted all the same
    }
    const uniqueId = `${this.clock.now().toString(16)}${(this.deleteSeq++).toString(16)}`;
    const doomed = `${dir}/${logDeleteDirName(topic, partition, uniqueId)}`;
    try {
      await this.fs.rename(`${dir}/${k}`, doomed);
      await this.fs.syncDir(dir);
      await this.fs.rmrf(doomed);
    } catch (err) {
      this.logger.error('renaming a deleted log failed; removing it in place', { topic, partition, error: String(err) });
      await this.fs.rmrf(`${dir}/${k}`);
      await this.fs.syncDir(dir);
    }
    await this.writeCheckpoints(dir);
  }

  updateConfig(topic: string, partition: number, config: LogConfig): void {
    const log = this.logs.get(key(topic, partition));
    if (log !== undefined) log.config = config;
  }

  // ---- checkpoints ---------------------------------------------------------------------------

  private inDirQueue(dir: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.checkpointQueues.get(dir) ?? Promise.resolve();
    const run = prev.then(fn);
    this.checkpointQueues.set(dir, run.catch(() => undefined));
    return run;
  }

  /** The logs kept in `dir` (one of `dirs`). */
  logsIn(dir: string): PartitionLog[] {
    const out: PartitionLog[] = [];
    for (const [k, log] of this.logs) if (this.logDir.get(k) === dir) out.push(log);
    return out;
  }

  private writeLogStartOffsets(dir: string): Promise<void> {
    return this.inDirQueue(dir, () =>
      writeCheckpoint(this.fs, `${dir}/${LOG_START_OFFSET_CHECKPOINT}`, this.logsIn(dir).map((l) => [l.topic, l.partition, l.logStartOffset])),
    );
  }

  private async writeCheckpoints(dir: string): Promise<void> {
    await this.inDirQueue(dir, () =>
      writeCheckpoint(this.fs, `${dir}/${RECOVERY_POINT_CHECKPOINT}`, this.logsIn(dir).map((l) => [l.topic, l.partition, l.recoveryPoint])),
    );
    const compacted = this.logsIn(dir).filter((l) => l.config.cleanupPolicy.compact);
    if (compacted.length > 0 || (await this.fs.exists(`${dir}/${CLEANER_OFFSET_CHECKPOINT}`))) {
      await this.inDirQueue(dir, () =>
        writeCheckpoint(this.fs, `${dir}/${CLEANER_OFFSET_CHECKPOINT}`, compacted.map((l) => [l.topic, l.partition, l.firstDirtyOffset])),
      );
    }
    await this.writeLogStartOffsets(dir);
  }

  /** Writes the recovery-point and log-start-offset checkpoints of every dir. */
  async checkpoint(): Promise<void> {
    for (const dir of this.dirs) await this.writeCheckpoints(dir);
  }

  // ---- background tasks ----------------------------------------------------------------------

  /** Retention on every log now; returns the number of segments deleted. */
  async runRetention(): Promise<number> {
    let n = 0;
    for (const log of this.all()) {
      try {
        n += await log.deleteOldSegments();
      } catch (err) {
        this.logger.error('retention failed', { topic: log.topic, partition: log.partition, error: String(err) });
      }
    }
    return n;
  }

  /** One compaction pass over every compacted log; returns the number of logs cleaned. */
  async runCompaction(): Promise<number> {
    let n = 0;
    for (const log of this.all()) {
      if (!log.config.cleanupPolicy.compact) continue;
      try {
        if ((await log.compact()) !== null) n++;
      } catch (err) {
        this.logger.error('compaction failed', { topic: log.topic, partition: log.partition, error: String(err) });
      }
    }
    return n;
  }

  async runFlushCheck(): Promise<void> {
    for (const log of this.all()) {
      if (log.config.flushMs >= Number.MAX_SAFE_INTEGER) continue;
      try {
        await log.maybeFlushByTime();
      } catch (err) {
        this.logger.error('flush failed', { topic: log.topic, partition: log.partition, error: String(err) });
      }
    }
  }

  /** producer.id.expiration.ms on every log now; returns the number of producers forgotten. */
  async runProducerExpiration(): Promise<number> {
    let n = 0;
    for (const log of this.all()) {
      try {
        n += await log.removeExpiredProducers();
      } catch (err) {
        this.logger.error('producer expiration failed', { topic: log.topic, partition: log.partition, error: String(err) });
      }
    }
    return n;
  }

  startBackgroundTasks(): void {
    this.every(this.intervals.retention, () => this.runRetention());
    this.every(this.intervals.cleaner, () => this.runCompaction());
    this.every(this.intervals.flush, () => this.runFlushCheck());
    this.every(this.intervals.checkpoint, () => this.checkpoint());
    this.every(this.intervals.producerExpiration, () => this.runProducerExpiration());
  }

  private every(intervalMs: number, task: () => Promise<unknown>): void {
    const slot = this.timers.length;
    const arm = (): void => {
      if (this.stopped) return;
      this.timers[slot] = this.clock.schedule(intervalMs, () => {
        const run = task()
          .catch((err: unknown) => this.logger.error('background task failed', { error: String(err) }))
          .finally(() => {
            this.running.delete(run);
            arm();
          });
        this.running.add(run);
      });
    };
    this.timers.push({ cancel: () => undefined });
    arm();
  }

  /** Stops background tasks, flushes and closes every log, marks each dir clean and unlocks it. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    try {
      await this.closeLogs();
    } finally {
      await this.releaseLocks();
    }
  }

  /**
   * What the death of the process leaves behind, for crash tests: background tasks stop, every
   * file is closed without a flush, no checkpoint and no clean-shutdown marker are written, and
   * the dir locks are released (as the kernel releases them when a process dies).
   */
  async abandon(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    for (const log of this.all()) await log.closeWithoutFlush().catch(() => undefined);
    await this.releaseLocks();
  }

  private async closeLogs(): Promise<void> {
    for (const t of this.timers) t.cancel();
    await Promise.allSettled([...this.running]);
    let failed = false;
    for (const log of this.all()) {
      try {
        await log.close();
      } catch (err) {
        failed = true;
        this.logger.error('closing a log failed', { topic: log.topic, partition: log.partition, error: String(err) });
      }
    }
    for (const dir of this.dirs) {
      await this.writeCheckpoints(dir);
      if (!failed) {
        await this.fs.writeFileAtomic(`${dir}/${CLEAN_SHUTDOWN_FILE}`, Buffer.alloc(0));
      }
    }
  }
}
