/** The per-resource loop shared by AlterConfigs and IncrementalAlterConfigs. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alterEachResource, unsupportedResourceType } from '../../../../src/server/handlers/_admin-helpers.js';
import { ErrorCode } from '../../../../src/protocol/error-codes.js';

test('alterEachResource answers in request order and alters each unique resource once', async () => {
  const altered: string[] = [];
  const out = await alterEachResource(
    [
      { resourceType: 2, resourceName: 'a', v: 1 },
      { resourceType: 4, resourceName: '0', v: 2 },
    ],
    async (r) => {
      altered.push(`${r.resourceType}/${r.resourceName}/${r.v}`);
      return { errorCode: r.v === 2 ? ErrorCode.INVALID_CONFIG : ErrorCode.NONE, errorMessage: r.v === 2 ? 'bad' : null };
    },
  );
  assert.deepEqual(altered, ['2/a/1', '4/0/2']);
  assert.deepEqual(out, [
    { errorCode: ErrorCode.NONE, errorMessage: null, resourceType: 2, resourceName: 'a' },
    { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'bad', resourceType: 4, resourceName: '0' },
  ]);
});

test('a resource named twice is not altered and gets one INVALID_REQUEST answer', async () => {
  const altered: string[] = [];
  const out = await alterEachResource(
    [
      { resourceType: 2, resourceName: 'dup' },
      { resourceType: 2, resourceName: 'other' },
      { resourceType: 2, resourceName: 'dup' },
      { resourceType: 4, resourceName: 'dup' },
    ],
    async (r) => {
      altered.push(`${r.resourceType}/${r.resourceName}`);
      return { errorCode: ErrorCode.NONE, errorMessage: null };
    },
  );
  assert.deepEqual(altered, ['2/other', '4/dup'], 'same name with another type is a different resource');
  assert.deepEqual(out.map((r) => [r.resourceType, r.resourceName, r.errorCode, r.errorMessage]), [
    [2, 'dup', ErrorCode.INVALID_REQUEST, 'Duplicate resource.'],
    [2, 'other', ErrorCode.NONE, null],
    [4, 'dup', ErrorCode.NONE, null],
  ]);
});

test('unsupportedResourceType is INVALID_REQUEST naming the type', () => {
  assert.deepEqual(unsupportedResourceType(8), { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unsupported resource type: 8' });
});
