/** Sherwood's own Kafka client (used by our CLIs and tests). */
export * from './broker-connection.js';
export * from './kafka-error.js';
export * from './kafka-client.js';
export * from './operations.js';
export * from './simple-consumer.js';
export * from './partitioner.js';
export * from './protocol.js';
export * from './group-consumer.js';
export * from './assignors.js';
export * from './fetcher.js';
export * from './producer.js';
export * from './transaction-manager.js';
export * from './transaction-admin.js';
/** The error type every client failure (and KafkaError) extends, for callers that report them. */
export { BrokerError } from '../base/errors.js';
