/**
 * Heartbeat (API key 12), versions 0-4. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const heartbeatRequest = message(12, 'Heartbeat', 'request', '0-4', '4+', [
  f('groupId', 'string', '0+'),
  f('generationId', 'int32', '0+'),
  f('memberId', 'string', '0+'),
  f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
]);

const heartbeatResponse = message(12, 'Heartbeat', 'response', '0-4', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '0+'),
]);

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
}

export interface HeartbeatResponse {
  throttleTimeMs: number;
  errorCode: number;
}

export const Heartbeat = api<HeartbeatRequest, HeartbeatResponse>(heartbeatRequest, heartbeatResponse);
