/**
 * InitProducerId (API key 22), versions 0-5 (KIP-98; KIP-360 from v3).
 *
 * Behavior (Kafka's KafkaApis.handleInitProducerIdRequest + TransactionCoordinator):
 * - Authorization: a transactional id needs WRITE on it (TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
 *   an idempotent producer needs IDEMPOTENT_WRITE on the cluster or WRITE on some topic
 *   (CLUSTER_AUTHORIZATION_FAILED). No authorizer is configured by default.
 * - v3+: producerId and producerEpoch must be both -1 or both set, else INVALID_REQUEST.
 * - No transactional id (an idempotent producer): a new producer id, epoch 0, whatever
 *   producerId/epoch the request carries — Kafka hands idempotent producers a fresh id each
 *   time; after an UNKNOWN_PRODUCER_ID or OUT_OF_ORDER_SEQUENCE a KIP-360 client bumps its own
 *   epoch locally and starts again at sequence 0, which the partitions accept. Ids come from
 *   blocks allocated through the metadata (ProducerIdManager); while no block is available,
 *   COORDINATOR_LOAD_IN_PROGRESS (retriable).
 * - A transactional id (the transaction coordinator, src/coordinator/transaction): empty →
 *   INVALID_REQUEST; transactionTimeoutMs outside (0, transaction.max.timeout.ms] →
 *   INVALID_TRANSACTION_TIMEOUT; `__transaction_state` is created on first use
 *   (COORDINATOR_LOAD_IN_PROGRESS / COORDINATOR_NOT_AVAILABLE while it is not ready;
 *   NOT_COORDINATOR if its partition is not led here). A new id gets a new producer id at
 *   epoch 0; a known one the next epoch (a new producer id once the epoch is exhausted);
 *   with v3+'s producerId/epoch (KIP-360) the current epoch is bumped, the previous one is a
 *   retry answered with the current epoch, anything else PRODUCER_FENCED. While the id's last
 *   transaction is completing: CONCURRENT_TRANSACTIONS. An ongoing transaction of the old
 *   producer is aborted at a bumped epoch (the old producer is fenced) and the caller gets
 *   CONCURRENT_TRANSACTIONS, then the next epoch when it retries.
 * Version notes: v2 flexible; v3 producerId/producerEpoch; v4 PRODUCER_FENCED instead of
 * INVALID_PRODUCER_EPOCH; v5 may answer TRANSACTION_ABORTABLE (never here).
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { InitProducerId, type InitProducerIdResponse } from '../../protocol/messages/init-producer-id.js';
import { ProducerIdsUnavailableError } from '../../cluster/producer-id-manager.js';
import { initProducerIdRequestError } from '../../coordinator/transaction/transaction-coordinator-service.js';
import { authorize, defineHandler } from '../handler.js';
import { CLUSTER_RESOURCE_NAME } from '../pipeline/authorization.js';
import { fencedErrorFor } from './_txn-helpers.js';

const NO_PRODUCER_ID = -1;
const NO_PRODUCER_EPOCH = -1;

function reply(errorCode: number, producerId = -1, producerEpoch = -1): InitProducerIdResponse {
  return { throttleTimeMs: 0, errorCode, producerId, producerEpoch };
}

export default defineHandler({
  api: InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req): Promise<InitProducerIdResponse> {
    const broker = ctx.broker;
    if (req.transactionalId !== null) {
      if (!authorize(ctx, 'WRITE', 'TRANSACTIONAL_ID', req.transactionalId)) return reply(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    } else if (!authorize(ctx, 'IDEMPOTENT_WRITE', 'CLUSTER', CLUSTER_RESOURCE_NAME)) {
      return reply(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    const noId = req.producerId === NO_PRODUCER_ID;
    const noEpoch = req.producerEpoch === NO_PRODUCER_EPOCH;
    if (noId !== noEpoch) return reply(ErrorCode.INVALID_REQUEST);
    if (req.transactionalId !== null) {
      const invalid = initProducerIdRequestError(req.transactionalId, req.transactionTimeoutMs, broker.config.getInt('transaction.max.timeout.ms'));
      if (invalid !== ErrorCode.NONE) return reply(invalid);
      const unavailable = await broker.transactions.availability();
      if (unavailable !== ErrorCode.NONE) return reply(unavailable);
      const expected = noId ? null : { producerId: req.producerId, producerEpoch: req.producerEpoch };
      const r = await broker.transactions.service.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
      return reply(fencedErrorFor(r.errorCode, ctx.header.apiVersion, 4), r.producerId, r.producerEpoch);
    }
    try {
      return reply(ErrorCode.NONE, await broker.producerIds.generateProducerId(), 0);
    } catch (err) {
      if (!(err instanceof ProducerIdsUnavailableError)) throw err;
      broker.logger.warn('no producer id available', { error: String(err.cause ?? err) });
      return reply(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    }
  },
});
