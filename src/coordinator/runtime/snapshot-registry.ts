/**
 * Snapshots of a coordinator shard's durable state, as an undo log (the role of apache/kafka
 * `SnapshotRegistry` for its timeline data structures, kept much smaller).
 *
 * Contract: the collections a shard's durable state is made of (TimelineMap, ...) share one
 * registry. While a snapshot is open every change they make records how to undo itself;
 * `revertToSnapshot(id)` undoes, newest first, every change made since `createSnapshot()`
 * returned `id`, which restores exactly the state of that moment; `deleteSnapshot(id)` keeps
 * the changes and forgets how to undo them. Snapshots nest like a stack: only the newest open
 * one may be reverted or deleted. With no snapshot open nothing is recorded, so replaying a
 * partition at load time costs no undo memory.
 *
 * The runtime opens one snapshot per write operation (before the operation decides), so a
 * failed write reverts the operation's decision and the replay of its records together.
 */
import { assert } from '../../base/assert.js';

export class SnapshotRegistry {
  private readonly undoLog: (() => void)[] = [];
  /** For each open snapshot, the undo log's length when it was taken. */
  private readonly marks: number[] = [];

  /** True while a snapshot is open: changes must be recorded. */
  get isRecording(): boolean {
    return this.marks.length > 0;
  }

  /** Called by timeline collections for each change while recording. */
  recordUndo(undo: () => void): void {
    if (this.marks.length > 0) this.undoLog.push(undo);
  }

  createSnapshot(): number {
    this.marks.push(this.undoLog.length);
    return this.marks.length - 1;
  }

  revertToSnapshot(id: number): void {
    assert(id === this.marks.length - 1, `revertToSnapshot(${id}) but the newest open snapshot is ${this.marks.length - 1}`);
    const mark = this.marks.pop()!;
    while (this.undoLog.length > mark) this.undoLog.pop()!();
  }

  deleteSnapshot(id: number): void {
    assert(id === this.marks.length - 1, `deleteSnapshot(${id}) but the newest open snapshot is ${this.marks.length - 1}`);
    this.marks.pop();
    if (this.marks.length === 0) this.undoLog.length = 0;
  }
}
