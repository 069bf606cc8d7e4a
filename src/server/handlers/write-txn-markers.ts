/**
 * WriteTxnMarkers (API key 27), version 1: inter-broker — a transaction coordinator asks the
 * leader of each partition of a transaction to append its COMMIT/ABORT marker.
 *
 * Behavior (Kafka's KafkaApis.handleWriteTxnMarkersRequest): needs CLUSTER_ACTION on the cluster
 * (CLUSTER_AUTHORIZATION_FAILED for every partition otherwise). Per marker and partition: not
 * in the metadata → UNKNOWN_TOPIC_OR_PARTITION; a `__consumer_offsets` partition goes to the
 * group coordinator, which commits or drops the producer's pending transactional offsets and
 * writes the marker (its NOT_COORDINATOR / COORDINATOR_LOAD_IN_PROGRESS /
 * COORDINATOR_NOT_AVAILABLE become NOT_LEADER_OR_FOLLOWER, which the coordinator retries); any
 * other partition gets a control batch (transactional, the producer id and epoch, the
 * coordinator epoch in its value) appended as leader with acks=-1 and origin coordinator, and
 * answers that append's error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS, REQUEST_TIMED_OUT,
 * KAFKA_STORAGE_ERROR, and — once partitions keep producer state — INVALID_PRODUCER_EPOCH or
 * TRANSACTION_COORDINATOR_FENCED).
 * Version notes: v0 (non-flexible) was removed in Kafka 4 (KIP-896); v1 is flexible.
 */
import { ErrorCode } from '../../protocol/error-codes.js';
import { WriteTxnMarkers, type WriteTxnMarkersRequest, type WriteTxnMarkersResponse } from '../../protocol/messages/write-txn-markers.js';
import { defineHandler } from '../handler.js';
import { writeTxnMarkersLocally } from '../transaction-runtime.js';

function errorResponse(req: WriteTxnMarkersRequest, errorCode: number): WriteTxnMarkersResponse {
  return {
    markers: req.markers.map((m) => ({
      producerId: m.producerId,
      topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })) })),
    })),
  };
}

export default defineHandler({
  api: WriteTxnMarkers,
  minVersion: 1,
  maxVersion: 1,
  clusterOperation: 'CLUSTER_ACTION',
  errorResponse: (req, errorCode) => errorResponse(req, errorCode),
  async handle(ctx, req): Promise<WriteTxnMarkersResponse> {
    const markers = await Promise.all(req.markers.map(async (m) => {
      const results = await writeTxnMarkersLocally(ctx.broker, {
        producerId: m.producerId,
        producerEpoch: m.producerEpoch,
        coordinatorEpoch: m.coordinatorEpoch,
        result: m.transactionResult ? 'COMMIT' : 'ABORT',
        partitions: m.topics.flatMap((t) => t.partitionIndexes.map((partition) => ({ topic: t.name, partition }))),
      });
      const codeOf = (topic: string, partition: number) => results.find((r) => r.topic === topic && r.partition === partition)?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
      return {
        producerId: m.producerId,
        topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode: codeOf(t.name, partitionIndex) })) })),
      };
    }));
    return { markers };
  },
});
