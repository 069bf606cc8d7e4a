/**
 * ElectLeaders (key 43), v0-2 (src/cluster/controller/elect-leaders.ts decides).
 *
 * Behavior: PREFERRED (v0's only type) or UNCLEAN elections for the partitions asked, or for
 * every partition when the list is null (then only the partitions that needed one are
 * listed). The changes are one compare-and-set metadata append, as the controller's own
 * decisions are, so every broker answers it. A partition named twice is answered once.
 * Needs ALTER on the cluster (CLUSTER_AUTHORIZATION_FAILED: v1+ top level and every partition
 * asked, v0 every partition). An unknown election type (v1+) is INVALID_REQUEST at the top
 * level. A standalone broker's partitions have one replica, which leads: ELECTION_NOT_NEEDED.
 * Version notes: v1 adds electionType and the top-level errorCode; v2 is flexible.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { ElectLeaders, type ElectLeadersRequest, type ElectLeadersResponse } from '../../protocol/messages/elect-leaders.js';
import { ELECTION_PREFERRED, ELECTION_UNCLEAN, planElectLeaders, type ElectionResult } from '../../cluster/controller/elect-leaders.js';
import { defineHandler } from '../handler.js';

function grouped(results: readonly ElectionResult[]): ElectLeadersResponse['replicaElectionResults'] {
  const out: ElectLeadersResponse['replicaElectionResults'] = [];
  for (const r of results) {
    let t = out.find((x) => x.topic === r.topic);
    if (t === undefined) out.push((t = { topic: r.topic, partitionResult: [] }));
    if (!t.partitionResult.some((p) => p.partitionId === r.partition)) t.partitionResult.push({ partitionId: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage });
  }
  return out;
}

/** Every partition asked, answered `errorCode` (a refusal of the whole request). */
function refuse(req: ElectLeadersRequest, errorCode: number): ElectLeadersResponse {
  const results = (req.topicPartitions ?? []).flatMap((t) => t.partitions.map((partition) => ({ topic: t.topic, partition, errorCode, errorMessage: null })));
  return { throttleTimeMs: 0, errorCode, replicaElectionResults: grouped(results) };
}

/** The partitions asked without repeats (a topic may come twice, a partition twice in it). */
function dedupe(req: ElectLeadersRequest): { topic: string; partitions: number[] }[] | null {
  if (req.topicPartitions === null) return null;
  const byTopic = new Map<string, Set<number>>();
  for (const t of req.topicPartitions) {
    const set = byTopic.get(t.topic) ?? new Set<number>();
    for (const p of t.partitions) set.add(p);
    byTopic.set(t.topic, set);
  }
  return [...byTopic].map(([topic, set]) => ({ topic, partitions: [...set] }));
}

export default defineHandler<ElectLeadersRequest, ElectLeadersResponse>({
  api: ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  clusterOperation: 'ALTER',
  errorResponse: (req, errorCode) => refuse(req, errorCode),
  async handle(ctx, req) {
    const version = ctx.header.apiVersion;
    const type = version === 0 ? ELECTION_PREFERRED : req.electionType;
    if (type !== ELECTION_PREFERRED && type !== ELECTION_UNCLEAN) return refuse(req, ErrorCode.INVALID_REQUEST);
    const broker = ctx.broker;
    const asked = dedupe(req);
    const results = await broker.topics.applyChange((image) => planElectLeaders(image, type, asked, (id) => broker.isBrokerLive(id)));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: grouped(results) };
  },
});
