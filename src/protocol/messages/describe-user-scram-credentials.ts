/**
 * DescribeUserScramCredentials (API key 50), versions 0. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const describeUserScramCredentialsRequest = message(50, 'DescribeUserScramCredentials', 'request', '0', '0+', [
  f('users', '[]UserName', '0+', { nullable: '0+' }, [
    f('name', 'string', '0+'),
  ]),
]);

const describeUserScramCredentialsResponse = message(50, 'DescribeUserScramCredentials', 'response', '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('errorCode', 'int16', '0+'),
  f('errorMessage', 'string', '0+', { nullable: '0+' }),
  f('results', '[]DescribeUserScramCredentialsResult', '0+', {}, [
    f('user', 'string', '0+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
    f('credentialInfos', '[]CredentialInfo', '0+', {}, [
      f('mechanism', 'int8', '0+'),
      f('iterations', 'int32', '0+'),
    ]),
  ]),
]);

export interface DescribeUserScramCredentialsRequest {
  users: DescribeUserScramCredentialsRequestUserName[] | null;
}

export interface DescribeUserScramCredentialsRequestUserName {
  name: string;
}

export interface DescribeUserScramCredentialsResponse {
  throttleTimeMs: number;
  errorCode: number;
  errorMessage: string | null;
  results: DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult[];
}

export interface DescribeUserScramCredentialsResponseDescribeUserScramCredentialsResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
  credentialInfos: DescribeUserScramCredentialsResponseCredentialInfo[];
}

export interface DescribeUserScramCredentialsResponseCredentialInfo {
  mechanism: number;
  iterations: number;
}

export const DescribeUserScramCredentials = api<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponse>(describeUserScramCredentialsRequest, describeUserScramCredentialsResponse);
