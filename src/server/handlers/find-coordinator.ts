/**
 * FindCoordinator (API key 10), versions 0-6.
 *
 * Behavior: the coordinator of a key is the current leader of the internal partition the key
 * hashes to, read from the metadata image (as Kafka's KRaft FindCoordinator does), at the
 * address of the listener the request came in on. A standalone broker leads every partition,
 * so it answers itself.
 * - keyType 0 (group): first makes sure `__consumer_offsets` exists (creating it on first use,
 *   as Kafka does — with offsets.topic.replication.factor replicas, which fails while fewer
 *   brokers are live) and that the partitions led here are loaded; if that is not done within a
 *   few seconds, or the key's partition has no leader / no live leader / is led here but not
 *   loaded yet, COORDINATOR_NOT_AVAILABLE so the client retries.
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
import type { Broker, BrokerEndpoint } from '../broker.js';

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;
const NOT_AVAILABLE = { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };

type Answer = { endpoint: BrokerEndpoint } | { errorCode: number; errorMessage: string };

/**
 * The coordinator for internal partition `partition` of `topic`: its leader's endpoint, or
 * COORDINATOR_NOT_AVAILABLE (no leader, a leader not live, or led here but not loaded yet).
 */
function coordinatorFor(broker: Broker, listenerName: string, topic: string, partition: number, loadedHere: (p: number) => boolean): Answer {
  const leader = broker.topics.get(topic)?.partitions[partition]?.leader ?? -1;
  if (leader < 0) return NOT_AVAILABLE;
  if (leader === broker.nodeId) return loadedHere(partition) ? { endpoint: selfEndpoint(broker, listenerName) } : NOT_AVAILABLE;
  const endpoint = broker.endpoints(listenerName).find((e) => e.nodeId === leader);
  return endpoint === undefined ? NOT_AVAILABLE : { endpoint };
}

function selfEndpoint(broker: Broker, listenerName: string): BrokerEndpoint {
  return broker.endpoints(listenerName).find((e) => e.nodeId === broker.nodeId)!;
}

export default defineHandler({
  api: FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req): Promise<FindCoordinatorResponse> {
    const version = ctx.header.apiVersion;
    const listener = ctx.connection.listenerName;
    let lookup: (key: string) => Answer;
    if (req.keyType === GROUP_KEY_TYPE) {
      const groups = getGroupRuntime(ctx.broker);
      const ready = (await groups.availability()) === ErrorCode.NONE;
      lookup = (key) => (ready
        ? coordinatorFor(ctx.broker, listener, GROUP_METADATA_TOPIC_NAME, groups.service.partitionFor(key), (p) => groups.service.runtime.isActive(p))
        : NOT_AVAILABLE);
    } else if (req.keyType === TRANSACTION_KEY_TYPE) {
      const transactions = ctx.broker.transactions;
      const ready = (await transactions.availability()) === ErrorCode.NONE;
      lookup = (key) => (ready
        ? coordinatorFor(ctx.broker, listener, TRANSACTION_STATE_TOPIC_NAME, transactions.service.partitionFor(key), (p) => transactions.service.runtime.isActive(p))
        : NOT_AVAILABLE);
    } else {
      lookup = () => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator type ${req.keyType}` });
    }
    const answer = (key: string) => {
      const a = lookup(key);
      if ('endpoint' in a) return { key, nodeId: a.endpoint.nodeId, host: a.endpoint.host, port: a.endpoint.port, errorCode: ErrorCode.NONE, errorMessage: null };
      return { key, nodeId: -1, host: '', port: -1, errorCode: a.errorCode, errorMessage: a.errorMessage };
    };
    if (version >= 4) {
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: req.coordinatorKeys.map(answer) };
    }
    const a = answer(req.key);
    return { throttleTimeMs: 0, errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId, host: a.host, port: a.port, coordinators: [] };
  },
});
