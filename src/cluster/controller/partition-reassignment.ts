/**
 * Partition reassignment (AlterPartitionReassignments / ListPartitionReassignments), after
 * KRaft's ReplicationControlManager with PartitionReassignmentReplicas and
 * PartitionChangeBuilder. Pure: an image and a liveness test in, results and
 * PartitionChangeRecords out, appended with compare-and-set by the caller
 * (TopicManager.applyChange), like every other controller decision.
 *
 * A reassignment to `target` of a partition whose replicas are `current`:
 * - adding = target − current, removing = current − target; the partition's replicas become
 *   target followed by removing, so every old replica keeps serving while the new ones copy
 *   the log as followers (replica-manager.ts creates their logs and fetchers on the delta);
 * - it completes once the ISR holds every target replica: replicas = target, ISR = ISR ∩
 *   target, adding and removing cleared, and a leader that is being removed hands over to the
 *   first target replica in the ISR (leader epoch + 1). Removed replicas then delete their logs
 *   (replica-manager.ts, as for a deleted topic). The check runs when the reassignment is made
 *   (nothing to add: it completes at once) and on every ISR change the leader proposes
 *   (TopicManager.alterPartitionIsr), which is how the last adding replica's catch-up ends it;
 * - a new reassignment of a partition already being reassigned starts from its current
 *   (merged) replicas, as KRaft's does.
 * Cancelling (replicas null) reverts to the replicas before the reassignment (current −
 * adding); NO_REASSIGNMENT_IN_PROGRESS when there is none. A cancel that would leave no ISR
 * member is refused (INVALID_REPLICA_ASSIGNMENT) rather than leaving the partition leaderless.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { MetadataImage, PartitionRegistration } from '../metadata/metadata-image.js';
import { NO_LEADER, type PartitionChangeRecord } from '../metadata/metadata-records.js';
import { replicaListError } from './replication-control.js';
import { sameList } from './leader-election.js';

export interface ReassignmentRequest {
  topic: string;
  partitions: { partition: number; replicas: readonly number[] | null }[];
}

export interface ReassignmentResult {
  topic: string;
  partition: number;
  errorCode: number;
  errorMessage: string | null;
}

export interface OngoingReassignment {
  topic: string;
  partition: number;
  replicas: readonly number[];
  addingReplicas: readonly number[];
  removingReplicas: readonly number[];
}

type Change = Omit<PartitionChangeRecord, 'type' | 'topicId' | 'partitionId'>;

export function isReassigning(p: PartitionRegistration): boolean {
  return (p.addingReplicas?.length ?? 0) > 0 || (p.removingReplicas?.length ?? 0) > 0;
}

/** The replicas the partition will have when its reassignment is done (its replicas when none is). */
export function targetReplicas(p: PartitionRegistration): readonly number[] {
  const removing = p.removingReplicas ?? [];
  return p.replicas.filter((b) => !removing.includes(b));
}

/**
 * The change that finishes `p`'s reassignment once `isr` (the ISR it is about to have) holds
 * every target replica; null while it does not (or when none is in progress).
 */
export function completeReassignmentIfDone(p: PartitionRegistration, isr: readonly number[], isLive: (brokerId: number) => boolean): Change | null {
  if (!isReassigning(p)) return null;
  const target = targetReplicas(p);
  if (!target.every((b) => isr.includes(b))) return null;
  const newIsr = isr.filter((b) => target.includes(b));
  const change: { -readonly [K in keyof Change]: Change[K] } = { replicas: [...target], isr: newIsr, addingReplicas: [], removingReplicas: [] };
  if (!target.includes(p.leader)) change.leader = target.find((b) => newIsr.includes(b) && isLive(b)) ?? target.find((b) => newIsr.includes(b)) ?? NO_LEADER;
  return change;
}

function result(topic: string, partition: number, errorCode: number, errorMessage: string | null = null): ReassignmentResult {
  return { topic, partition, errorCode, errorMessage };
}

/** The change for a new reassignment of `p` to `target`. */
function reassign(p: PartitionRegistration, target: readonly number[], isLive: (brokerId: number) => boolean): Change {
  const current = p.replicas;
  const adding = target.filter((b) => !current.includes(b));
  const removing = current.filter((b) => !target.includes(b));
  const merged = [...target, ...removing];
  const next: PartitionRegistration = { ...p, replicas: merged, addingReplicas: adding, removingReplicas: removing };
  const done = completeReassignmentIfDone(next, p.isr, isLive);
  if (done !== null) return done;
  return { replicas: merged, addingReplicas: adding, removingReplicas: removing };
}

/** The change that cancels `p`'s reassignment, or an error message. */
function cancel(p: PartitionRegistration, isLive: (brokerId: number) => boolean): Change | string {
  const adding = p.addingReplicas ?? [];
  const original = p.replicas.filter((b) => !adding.includes(b));
  const isr = p.isr.filter((b) => original.includes(b));
  if (isr.length === 0) return `Unable to revert the partition's assignment to ${original.join(',')}: none of those replicas is in the ISR.`;
  const change: { -readonly [K in keyof Change]: Change[K] } = { replicas: original, isr, addingReplicas: [], removingReplicas: [] };
  if (!isr.includes(p.leader)) change.leader = original.find((b) => isr.includes(b) && isLive(b)) ?? NO_LEADER;
  return change;
}

export function planAlterPartitionReassignments(
  image: MetadataImage, requests: readonly ReassignmentRequest[], isLive: (brokerId: number) => boolean,
): { results: ReassignmentResult[]; records: PartitionChangeRecord[] } {
  const results: ReassignmentResult[] = [];
  const records: PartitionChangeRecord[] = [];
  for (const { topic, partitions } of requests) {
    const t = image.topic(topic);
    for (const { partition, replicas } of partitions) {
      const p = t?.partitions[partition];
      if (t === undefined || p === undefined) {
        results.push(result(topic, partition, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${topic}-${partition}.`));
        continue;
      }
      let change: Change | string | null;
      if (replicas === null) {
        change = isReassigning(p) ? cancel(p, isLive) : null;
        if (change === null) {
          results.push(result(topic, partition, ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, `No ongoing reassignment for ${topic}-${partition}.`));
          continue;
        }
      } else {
        const unchanged = !isReassigning(p) && sameList(p.replicas, replicas);
        change = replicaListError(replicas, (b) => image.broker(b) !== undefined || isLive(b)) ?? (unchanged ? null : reassign(p, replicas, isLive));
        if (change === null) {
          results.push(result(topic, partition, ErrorCode.NONE));
          continue;
        }
      }
      if (typeof change === 'string') {
        results.push(result(topic, partition, ErrorCode.INVALID_REPLICA_ASSIGNMENT, change));
        continue;
      }
      records.push({ type: 'PartitionChangeRecord', topicId: t.topicId, partitionId: partition, ...change });
      results.push(result(topic, partition, ErrorCode.NONE));
    }
  }
  return { results, records };
}

/** Reassignments in progress: of the partitions asked, or of every partition (null). */
export function listPartitionReassignments(image: MetadataImage, asked: readonly { topic: string; partitions: readonly number[] }[] | null): OngoingReassignment[] {
  const out: OngoingReassignment[] = [];
  const targets = asked ?? [...image.topics()].map((t) => ({ topic: t.name, partitions: t.partitions.map((_, i) => i) }));
  for (const { topic, partitions } of targets) {
    const t = image.topic(topic);
    if (t === undefined) continue;
    for (const partition of partitions) {
      const p = t.partitions[partition];
      if (p === undefined || !isReassigning(p)) continue;
      out.push({ topic, partition, replicas: p.replicas, addingReplicas: p.addingReplicas ?? [], removingReplicas: p.removingReplicas ?? [] });
    }
  }
  return out;
}
