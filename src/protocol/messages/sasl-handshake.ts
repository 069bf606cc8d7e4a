/**
 * SaslHandshake (API key 17), versions 0-1. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const saslHandshakeRequest = message(17, 'SaslHandshake', 'request', '0-1', 'none', [
  f('mechanism', 'string', '0+'),
]);

const saslHandshakeResponse = message(17, 'SaslHandshake', 'response', '0-1', 'none', [
  f('errorCode', 'int16', '0+'),
  f('mechanisms', '[]string', '0+'),
]);

export interface SaslHandshakeRequest {
  mechanism: string;
}

export interface SaslHandshakeResponse {
  errorCode: number;
  mechanisms: string[];
}

export const SaslHandshake = api<SaslHandshakeRequest, SaslHandshakeResponse>(saslHandshakeRequest, saslHandshakeResponse);
