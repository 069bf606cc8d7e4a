/**
 * Sherwood's public API for embedding: start a broker in-process.
 *
 *   import { startBroker } from 'sherwood';
 *   const b = await startBroker({ port: 0, inMemory: true });
 *   console.log(b.bootstrap);
 *   await b.close();
 */
export { startBroker, type StartBrokerOptions, type RunningBroker } from './server/start.js';
export { Broker, type BrokerEndpoint } from './server/broker.js';
export { BrokerConfig, BROKER_CONFIG_DEFS, parseServerProperties, type ConfigDef, type ClusterMembershipOptions } from './server/config.js';
export { BrokerError, ConfigError, BROKER_ERROR_CODES, type BrokerErrorCode } from './base/errors.js';
export type { LogLevel, Logger } from './base/logger.js';
export { SharedMetadataLog, SharedMemoryMetadataStore } from './cluster/metadata/shared-memory-metadata-store.js';
export { MetadataConflictError, type MetadataStore } from './cluster/metadata/metadata-store.js';
export { MemoryTransport, tcpTransport, type Transport } from './base/transport.js';
