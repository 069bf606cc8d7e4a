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
 * - A transactional id: transactions are not served yet; COORDINATOR_NOT_AVAILABLE.
 * Version notes: v2 flexible; v3 producerId/producerEpoch; v4 PRODUCER_FENCED instead of
 * INVALID_PRODUCER_EPOCH; v5 no change to the broker side.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { InitProducerId, type InitProducerIdResponse } from '../../protocol/messages/init-producer-id.js';
import { ProducerIdsUnavailableError } from '../../cluster/producer-id-manager.js';
import { authorize, defineHandler } from '../handler.js';
import { CLUSTER_RESOURCE_NAME } from '../pipeline/authorization.js';

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
      broker.logger.warn('InitProducerId with a transactional id: transactions are not supported yet', { transactionalId: req.transactionalId });
      return reply(ErrorCode.COORDINATOR_NOT_AVAILABLE);
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
