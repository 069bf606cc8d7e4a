/**
 * KIP-951 leader discovery: a Produce (v10+) or Fetch (v12+ currentLeader, v16+ nodeEndpoints)
 * partition answered NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH carries the leader and leader
 * epoch the metadata names now, and the response lists those leaders' endpoints (at the
 * listener the request came in on), so a client can move without a Metadata round trip.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import type { Broker } from '../broker.js';

export const NO_LEADER = { leaderId: -1, leaderEpoch: -1 };

export function needsLeaderInfo(errorCode: number): boolean {
  return errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || errorCode === ErrorCode.FENCED_LEADER_EPOCH;
}

/** The leader and epoch of a partition as the metadata names them now (-1/-1 when unknown). */
export function currentLeader(broker: Broker, topic: string, partition: number): { leaderId: number; leaderEpoch: number } {
  const p = broker.topics.get(topic)?.partitions[partition];
  return p === undefined ? NO_LEADER : { leaderId: p.leader, leaderEpoch: p.leaderEpoch };
}

/** The endpoints of the given brokers (those with a known address). */
export function leaderEndpoints(broker: Broker, listenerName: string | undefined, ids: Iterable<number>): { nodeId: number; host: string; port: number; rack: string | null }[] {
  const wanted = new Set(ids);
  return broker.endpoints(listenerName).filter((e) => wanted.has(e.nodeId)).map((e) => ({ nodeId: e.nodeId, host: e.host, port: e.port, rack: e.rack }));
}
