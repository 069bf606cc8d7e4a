/**
 * JoinGroup (API key 11), versions 0-9. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const joinGroupRequest = message(11, 'JoinGroup', 'request', '0-9', '6+', [
  f('groupId', 'string', '0+'),
  f('sessionTimeoutMs', 'int32', '0+'),
  f('rebalanceTimeoutMs', 'int32', '1+', { default: -1 }),
  f('memberId', 'string', '0+'),
  f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
  f('protocolType', 'string', '0+'),
  f('protocols', '[]JoinGroupRequestProtocol', '0+', {}, [
    f('name', 'string', '0+', { mapKey: true }),
    f('metadata', 'bytes', '0+'),
  ]),
  f('reason', 'string', '8+', { nullable: '8+', default: null }),
]);

const joinGroupResponse = message(11, 'JoinGroup', 'response', '0-9', '6+', [
  f('throttleTimeMs', 'int32', '2+'),
  f('errorCode', 'int16', '0+'),
  f('generationId', 'int32', '0+', { default: -1 }),
  f('protocolType', 'string', '7+', { nullable: '7+', default: null }),
  f('protocolName', 'string', '0+', { nullable: '7+' }),
  f('leader', 'string', '0+'),
  f('skipAssignment', 'bool', '9+', { default: false }),
  f('memberId', 'string', '0+'),
  f('members', '[]JoinGroupResponseMember', '0+', {}, [
    f('memberId', 'string', '0+'),
    f('groupInstanceId', 'string', '5+', { nullable: '5+', default: null }),
    f('metadata', 'bytes', '0+'),
  ]),
]);

export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: JoinGroupRequestJoinGroupRequestProtocol[];
  reason: string | null;
}

export interface JoinGroupRequestJoinGroupRequestProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinGroupResponseJoinGroupResponseMember[];
}

export interface JoinGroupResponseJoinGroupResponseMember {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export const JoinGroup = api<JoinGroupRequest, JoinGroupResponse>(joinGroupRequest, joinGroupResponse);
