/**
 * SaslAuthenticate (API key 36), versions 0-2. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const saslAuthenticateRequest = message(36, 'SaslAuthenticate', 'request', '0-2', '2+', [
  f('authBytes', 'bytes', '0+'),
]);

const saslAuthenticateResponse = message(36, 'SaslAuthenticate', 'response', '0-2', '2+', [
  f('errorCode', 'int16', '0+'),
  f('errorMessage', 'string', '0+', { nullable: '0+' }),
  f('authBytes', 'bytes', '0+'),
  f('sessionLifetimeMs', 'int64', '1+', { default: 0 }),
]);

export interface SaslAuthenticateRequest {
  authBytes: Buffer;
}

export interface SaslAuthenticateResponse {
  errorCode: number;
  errorMessage: string | null;
  authBytes: Buffer;
  sessionLifetimeMs: number;
}

export const SaslAuthenticate = api<SaslAuthenticateRequest, SaslAuthenticateResponse>(saslAuthenticateRequest, saslAuthenticateResponse);
