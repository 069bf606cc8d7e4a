/**
 * Stage 1 of the request pipeline: who is asking. The Authenticator decides, per request,
 * whether the connection may send it and under which principal it runs.
 *
 * Today every listener is PLAINTEXT and every request runs as `User:ANONYMOUS` (Kafka's
 * principal for unauthenticated connections). SASL will plug in here: until a connection has
 * authenticated, only ApiVersions, SaslHandshake and SaslAuthenticate may pass (Kafka closes
 * the connection on anything else, ILLEGAL_SASL_STATE), and afterwards the connection carries
 * the authenticated principal. TLS client authentication sets the principal when the
 * connection is accepted.
 */
import type { RequestHeader } from '../../protocol/headers.js';
import type { ConnectionInfo } from '../handler.js';

export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

/** `principal` to proceed, or `closeReason` to close the connection (Kafka closes it too). */
export type AuthenticationDecision = { principal: string; closeReason?: undefined } | { principal?: undefined; closeReason: string };

export interface Authenticator {
  authenticate(connection: ConnectionInfo, header: RequestHeader): AuthenticationDecision;
}

/** PLAINTEXT listeners: the connection's principal (set when it was accepted) for every request. */
export const plaintextAuthenticator: Authenticator = {
  authenticate: (connection) => ({ principal: connection.principal }),
};
