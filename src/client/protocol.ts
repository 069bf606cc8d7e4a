/**
 * The parts of the protocol library that programs built on the client (our CLIs) use
 * directly: message definitions for requests the client has no helper for, error codes, and
 * the record-batch codec. Re-exported here so that `cli` sees only `client` (docs/STYLE:
 * imports flow one way) without wrapping every admin request in a client method.
 */
export { ErrorCode, errorName } from '../protocol/error-codes.js';
export { Reader } from '../protocol/primitives.js';
export { Compression, ATTR_CONTROL, BATCH_HEADER_SIZE, BATCH_LOG_OVERHEAD, ATTRIBUTES_OFFSET, BATCH_LENGTH_OFFSET, LAST_OFFSET_DELTA_OFFSET } from '../protocol/record-batch.js';
export { compressionFromName } from '../protocol/compression.js';
export {
  decodeAssignment, decodeSubscription, encodeAssignment, encodeSubscription, CONSUMER_PROTOCOL_TYPE,
  type ConsumerProtocolAssignment, type ConsumerProtocolSubscription, type TopicPartitions,
} from '../protocol/consumer-protocol.js';
export { encodeBatch, forEachRecord, type RecordInput } from '../protocol/records.js';
export { CreatePartitions } from '../protocol/messages/create-partitions.js';
export { CreateTopics } from '../protocol/messages/create-topics.js';
export { DeleteGroups } from '../protocol/messages/delete-groups.js';
export { DeleteTopics } from '../protocol/messages/delete-topics.js';
export { DescribeConfigs, type DescribeConfigsResponseDescribeConfigsResult } from '../protocol/messages/describe-configs.js';
export { DescribeGroups, type DescribeGroupsResponse } from '../protocol/messages/describe-groups.js';
export { ElectLeaders } from '../protocol/messages/elect-leaders.js';
export { AlterPartitionReassignments } from '../protocol/messages/alter-partition-reassignments.js';
export { ListPartitionReassignments } from '../protocol/messages/list-partition-reassignments.js';
export { Fetch, type FetchRequest } from '../protocol/messages/fetch.js';
export { IncrementalAlterConfigs } from '../protocol/messages/incremental-alter-configs.js';
export { ListGroups } from '../protocol/messages/list-groups.js';
export { ListOffsets } from '../protocol/messages/list-offsets.js';
export { OffsetDelete } from '../protocol/messages/offset-delete.js';
export { OffsetFetch } from '../protocol/messages/offset-fetch.js';
export { Produce, type ProduceRequest, type ProduceResponse } from '../protocol/messages/produce.js';
