/** src/protocol: a pure bytes-in/bytes-out Kafka codec shared by broker, client, CLI and tests. */
export * from './primitives.js';
export * from './schema.js';
export * from './headers.js';
export * from './error-codes.js';
export * from './api-keys.js';
export * as Messages from './messages/index.js';
