/**
 * LeaveGroup (API key 13), versions 0-5. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const leaveGroupRequest = message(13, 'LeaveGroup', 'request', '0-5', '4+', [
  f('groupId', 'string', '0+'),
  f('memberId', 'string', '0-2'),
  f('members', '[]MemberIdentity', '3+', {}, [
    f('memberId', 'string', '3+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+', default: null }),
    f('reason', 'string', '5+', { nullable: '5+', default: null }),
  ]),
]);

const leaveGroupResponse = message(13, 'LeaveGroup', 'response', '0-5', '4+', [
  f('throttleTimeMs', 'int32', '1+'),
  f('errorCode', 'int16', '0+'),
  f('members', '[]MemberResponse', '3+', {}, [
    f('memberId', 'string', '3+'),
    f('groupInstanceId', 'string', '3+', { nullable: '3+' }),
    f('errorCode', 'int16', '3+'),
  ]),
]);

export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
  members: LeaveGroupRequestMemberIdentity[];
}

export interface LeaveGroupRequestMemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
  reason: string | null;
}

export interface LeaveGroupResponse {
  throttleTimeMs: number;
  errorCode: number;
  members: LeaveGroupResponseMemberResponse[];
}

export interface LeaveGroupResponseMemberResponse {
  memberId: string;
  groupInstanceId: string | null;
  errorCode: number;
}

export const LeaveGroup = api<LeaveGroupRequest, LeaveGroupResponse>(leaveGroupRequest, leaveGroupResponse);
