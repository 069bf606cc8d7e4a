/**
 * AlterUserScramCredentials (API key 51), versions 0. Our own definition in the notation of ../schema.ts.
 */
import { api, f, message } from '../schema.js';

const alterUserScramCredentialsRequest = message(51, 'AlterUserScramCredentials', 'request', '0', '0+', [
  f('deletions', '[]ScramCredentialDeletion', '0+', {}, [
    f('name', 'string', '0+'),
    f('mechanism', 'int8', '0+'),
  ]),
  f('upsertions', '[]ScramCredentialUpsertion', '0+', {}, [
    f('name', 'string', '0+'),
    f('mechanism', 'int8', '0+'),
    f('iterations', 'int32', '0+'),
    f('salt', 'bytes', '0+'),
    f('saltedPassword', 'bytes', '0+'),
  ]),
]);

const alterUserScramCredentialsResponse = message(51, 'AlterUserScramCredentials', 'response', '0', '0+', [
  f('throttleTimeMs', 'int32', '0+'),
  f('results', '[]AlterUserScramCredentialsResult', '0+', {}, [
    f('user', 'string', '0+'),
    f('errorCode', 'int16', '0+'),
    f('errorMessage', 'string', '0+', { nullable: '0+' }),
  ]),
]);

export interface AlterUserScramCredentialsRequest {
  deletions: AlterUserScramCredentialsRequestScramCredentialDeletion[];
  upsertions: AlterUserScramCredentialsRequestScramCredentialUpsertion[];
}

export interface AlterUserScramCredentialsRequestScramCredentialDeletion {
  name: string;
  mechanism: number;
}

export interface AlterUserScramCredentialsRequestScramCredentialUpsertion {
  name: string;
  mechanism: number;
  iterations: number;
  salt: Buffer;
  saltedPassword: Buffer;
}

export interface AlterUserScramCredentialsResponse {
  throttleTimeMs: number;
  results: AlterUserScramCredentialsResponseAlterUserScramCredentialsResult[];
}

export interface AlterUserScramCredentialsResponseAlterUserScramCredentialsResult {
  user: string;
  errorCode: number;
  errorMessage: string | null;
}

export const AlterUserScramCredentials = api<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponse>(alterUserScramCredentialsRequest, alterUserScramCredentialsResponse);
