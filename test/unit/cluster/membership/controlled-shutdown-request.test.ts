import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../../src/base/clock.js';
import { createLogger } from '../../../../src/base/logger.js';
import { controlledShutdown } from '../../../../src/cluster/membership/controlled-shutdown-request.js';
import { MemoryMembershipGroup } from '../../../../src/cluster/membership/memory-broker-membership.js';
import { planControlledShutdown } from '../../../../src/cluster/controller/controlled-shutdown.js';
import { MetadataDelta } from '../../../../src/cluster/metadata/metadata-delta.js';
import { createTopic } from '../../../helpers/metadata-store-contract.js';

const logger = createLogger('error');
const broker = (brokerId: number) => ({ brokerId, host: '127.0.0.1', port: 9000 + brokerId, rack: null });

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

async function setup() {
  const group = new MemoryMembershipGroup();
  const members = [1, 2, 3].map(() => group.member());
  for (const [i, m] of members.entries()) await m.register(broker(i + 1));
  return { group, members };
}

test('the request flags the broker (and hands the controller role on); resolves true once the image shows the leaderships moved', async () => {
  const { group, members } = await setup();
  const clock = new ManualClock();
  let image = new MetadataDelta().replayAll(createTopic(1, 3, [1, 2, 3])).apply().image;
  assert.equal(group.controllerId, 1);
  const done = controlledShutdown({ nodeId: 1, membership: members[0]!, image: () => image, clock, logger, maxRetries: 3, retryBackoffMs: 5000 });
  await flush();
  assert.equal(group.liveBrokers.get(1)!.controlledShutdown, true);
  assert.equal(group.controllerId, 2, 'a controller shutting down resigns to another broker');
  clock.advance(300);
  await flush();
  // The controller moves them (what ClusterController writes).
  const live = group.liveBrokers;
  image = new MetadataDelta(image).replayAll(planControlledShutdown(image, (b) => live.has(b), (b) => live.get(b)?.controlledShutdown === true)).apply().image;
  clock.advance(100);
  assert.equal(await done, true);
});

test('leaderships that never move: gives up after max.retries attempts of retry.backoff.ms', async () => {
  const { group, members } = await setup();
  const clock = new ManualClock();
  const image = new MetadataDelta().replayAll(createTopic(1, 3, [1, 2, 3])).apply().image;
  let requests = 0;
  const m = members[0]!;
  const counting = Object.assign(Object.create(m) as typeof m, { requestControlledShutdown: async () => { requests++; await m.requestControlledShutdown(); } });
  let result: boolean | undefined;
  void controlledShutdown({ nodeId: 1, membership: counting, image: () => image, clock, logger, maxRetries: 3, retryBackoffMs: 1000 }).then((r) => { result = r; });
  for (let i = 0; i < 40 && result === undefined; i++) {
    await flush();
    clock.advance(100);
  }
  await flush();
  assert.equal(result, false);
  assert.equal(requests, 3);
  assert.equal(group.liveBrokers.get(1)!.controlledShutdown, true);
});

test('the only in-sync replica: nothing to wait for', async () => {
  const { members } = await setup();
  const clock = new ManualClock();
  const image = new MetadataDelta().replayAll(createTopic(1, 1, [1])).apply().image;
  assert.equal(await controlledShutdown({ nodeId: 1, membership: members[0]!, image: () => image, clock, logger, maxRetries: 3, retryBackoffMs: 5000 }), true);
});
