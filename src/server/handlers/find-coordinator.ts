/**
 * FindCoordinator (API key 10), versions 0-6.
 *
 * Behavior: the coordinator of a key is the leader of the internal partition the key hashes
 * to (Kafka's answer). On a single broker that is always this broker (the address of the
 * listener the request came in on); in a cluster it may be another live broker, answered at
 * the address it registered; a partition without a live leader is COORDINATOR_NOT_AVAILABLE.
 * - keyType 0 (group): first makes sure `__consumer_offsets` exists and is loaded (creating it
 *   on first use, as Kafka does); if that is not done within a few seconds, or the key's
 *   partition is not loaded here, COORDINATOR_NOT_AVAILABLE so the client retries.
 * - keyType 1 (transaction): likewise for `__transaction_state` (created on first use), whose
 *   partition for the key is the transactional id's (Java hashCode, as Kafka).
 * - any other keyType: INVALID_REQUEST.
 * Version notes: v1 keyType, throttle and errorMessage; v3 flexible; v4 batches keys in
 * `coordinatorKeys` and answers per key in `coordinators`.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { FindCoordinator, type FindCoordinatorResponse } from '../../protocol/messages/find-coordinator.js';
import { defineHandler } from '../handler.js';
import { getGroupRuntime } from '../group-runtime.js';
import { GROUP_METADATA_TOPIC_NAME, TRANSACTION_STATE_TOPIC_NAME } from '../../cluster/topic-name.js';
import type { BrokerEndpoint } from '../broker.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

export default defineHandler({
  api: FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req): Promise<FindCoordinatorResponse> {
    const version = ctx.header.apiVersion;
    const endpoints = ctx.broker.endpoints(ctx.connection.listenerName);
    const unavailable = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
    /**
     * The coordinator of `partition` of `topic`: this broker once its shard is active there
     * (a partition whose load failed, and is being retried, is not available yet either), or
     * the live broker the metadata names as the partition's leader.
     */
    const coordinatorOf = (topic: string, partition: number, activeHere: boolean): BrokerEndpoint | typeof unavailable => {
      const leader = ctx.broker.topics.image.topic(topic)?.partitions[partition]?.leader ?? -1;
      if (leader === ctx.broker.nodeId) return activeHere ? endpoints.find((e) => e.nodeId === leader)! : unavailable;
      return endpoints.find((e) => e.nodeId === leader) ?? unavailable;
    };
    let lookup: (key: string) => BrokerEndpoint | { errorCode: number; errorMessage: string };
    if (req.keyType === GROUP_KEY_TYPE) {
      const groups = getGroupRuntime(ctx.broker);
      const ready = (await groups.availability()) === ErrorCode.NONE;
      lookup = (key) => {
        if (!ready) return unavailable;
        const p = groups.service.partitionFor(key);
        return coordinatorOf(GROUP_METADATA_TOPIC_NAME, p, groups.service.runtime.isActive(p));
      };
    } else if (req.keyType === TRANSACTION_KEY_TYPE) {
      const transactions = ctx.broker.transactions;
      const ready = (await transactions.availability()) === ErrorCode.NONE;
      lookup = (key) => {
        if (!ready) return unavailable;
        const p = transactions.service.partitionFor(key);
        return coordinatorOf(TRANSACTION_STATE_TOPIC_NAME, p, transactions.service.runtime.isActive(p));
      };
    } else {
      lookup = () => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator type ${req.keyType}` });
    }
    const answer = (key: string) => {
      const c = lookup(key);
      if ('errorCode' in c) return { key, nodeId: -1, host: '', port: -1, errorCode: c.errorCode, errorMessage: c.errorMessage };
      return { key, nodeId: c.nodeId, host: c.host, port: c.port, errorCode: ErrorCode.NONE, errorMessage: null };
    };
    if (version >= 4) {
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: req.coordinatorKeys.map(answer) };
    }
    const a = answer(req.key);
    return { throttleTimeMs: 0, errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId, host: a.host, port: a.port, coordinators: [] };
  },
});
