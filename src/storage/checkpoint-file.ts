/**
 * Kafka's text checkpoint files, written atomically (temp file + fsync + rename + dir fsync):
 *
 *   line 1: version (0)
 *   line 2: number of entries N
 *   N lines: the entry's fields separated by one space
 *
 * Used per log dir for `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint` and
 * `cleaner-offset-checkpoint` (entries `topic partition offset`), and per partition for
 * `leader-epoch-checkpoint` (entries `epoch startOffset`). A missing file reads as empty; a
 * malformed one throws CorruptRecordError naming the file (Kafka refuses to start too).
 */
import type { FileSystem } from '../base/file-system.js';
import { isNotFound } from '../base/file-system.js';
import { CorruptRecordError } from '../base/errors.js';

export const CHECKPOINT_VERSION = 0;

export async function readCheckpoint(fs: FileSystem, path: string, fieldsPerLine: number): Promise<string[][]> {
  let text: string;
  try {
    text = (await fs.readFile(path)).toString('utf8');
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  const bad = (why: string) => new CorruptRecordError(`malformed checkpoint file ${path}: ${why}`);
  if (lines.length < 2) throw bad('missing header');
  if (Number(lines[0]) !== CHECKPOINT_VERSION) throw bad(`unsupported version ${lines[0]}`);
  const count = Number(lines[1]);
  if (!Number.isInteger(count) || count !== lines.length - 2) throw bad('entry count mismatch');
  return lines.slice(2).map((line) => {
    const fields = line.split(' ');
    if (fields.length !== fieldsPerLine) throw bad(`bad line '${line}'`);
    return fields;
  });
}

export async function writeCheckpoint(fs: FileSystem, path: string, entries: (string | number)[][]): Promise<void> {
  const text = [String(CHECKPOINT_VERSION), String(entries.length), ...entries.map((e) => e.join(' '))].join('\n') + '\n';
  await fs.writeFileAtomic(path, Buffer.from(text, 'utf8'));
}

/** Reads `topic partition offset` entries into a map keyed by `topic-partition`. */
export async function readOffsetCheckpoint(fs: FileSystem, path: string): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const [topic, partition, offset] of await readCheckpoint(fs, path, 3)) {
    const n = Number(offset);
    if (!Number.isSafeInteger(n)) throw new CorruptRecordError(`malformed checkpoint file ${path}: bad offset ${offset}`);
    out.set(`${topic}-${partition}`, n);
  }
  return out;
}
