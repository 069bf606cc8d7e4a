/**
 * FindCoordinator (API key 10), versions 0-6.
 *
 * Behavior: a single broker coordinates everything, so the answer is this broker (the address
 * of the listener the request came in on) for every key.
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

const GROUP_KEY_TYPE = 0;
const TRANSACTION_KEY_TYPE = 1;

export default defineHandler({
  api: FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req): Promise<FindCoordinatorResponse> {
    const version = ctx.header.apiVersion;
    const endpoint = ctx.broker.endpoints(ctx.connection.listenerName).find((e) => e.nodeId === ctx.broker.nodeId)!;
    // Per key: NONE, or the error and its message.
    let failure: ((key: string) => { errorCode: number; errorMessage: string } | null) = () => null;
    if (req.keyType === GROUP_KEY_TYPE) {
      const groups = getGroupRuntime(ctx.broker);
      const ready = (await groups.availability()) === ErrorCode.NONE;
      // A partition whose load failed (and is being retried) is not available yet either.
      failure = (key) => (ready && groups.service.runtime.isActive(groups.service.partitionFor(key))
        ? null
        : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' });
    } else if (req.keyType === TRANSACTION_KEY_TYPE) {
      const transactions = ctx.broker.transactions;
      const ready = (await transactions.availability()) === ErrorCode.NONE;
      failure = (key) => (ready && transactions.service.runtime.isActive(transactions.service.partitionFor(key))
        ? null
        : { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' });
    } else {
      failure = () => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown coordinator type ${req.keyType}` });
    }
    const answer = (key: string) => {
      const f = failure(key);
      return {
        key,
        nodeId: f === null ? endpoint.nodeId : -1,
        host: f === null ? endpoint.host : '',
        port: f === null ? endpoint.port : -1,
        errorCode: f?.errorCode ?? ErrorCode.NONE,
        errorMessage: f?.errorMessage ?? null,
      };
    };
    if (version >= 4) {
      return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, nodeId: -1, host: '', port: -1, coordinators: req.coordinatorKeys.map(answer) };
    }
    const a = answer(req.key);
    return { throttleTimeMs: 0, errorCode: a.errorCode, errorMessage: a.errorMessage, nodeId: a.nodeId, host: a.host, port: a.port, coordinators: [] };
  },
});
