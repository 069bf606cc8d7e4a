import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeBothFs, makeEnv, type FsEnv } from '../../../storage/_fs.js';
import { createLogger, silentLogger, type Logger } from '../../../../src/base/logger.js';
import { FileMetadataStore, METADATA_DIR_NAME, type FileMetadataStoreOptions } from '../../../../src/cluster/metadata/file-metadata-store.js';
import type { MetadataRecord } from '../../../../src/cluster/metadata/metadata-records.js';
import type { MetadataImage } from '../../../../src/cluster/metadata/metadata-image.js';
import { metadataStoreContract } from '../../../helpers/metadata-store-contract.js';

const id = (n: number) => {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(n + 1, 12);
  return b;
};

/** One CreateTopics-like batch: a topic with `partitions` partitions on broker 1. */
function createTopic(n: number, partitions = 1): MetadataRecord[] {
  const out: MetadataRecord[] = [{ type: 'TopicRecord', name: `t${n}`, topicId: id(n) }];
  for (let p = 0; p < partitions; p++) out.push({ type: 'PartitionRecord', topicId: id(n), partitionId: p, replicas: [1], isr: [1], leader: 1, leaderEpoch: 0, partitionEpoch: 0 });
  return out;
}

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  return { logger: createLogger('warn', (l) => lines.push(l)), lines };
}

function store(env: FsEnv, extra: Partial<FileMetadataStoreOptions> = {}): FileMetadataStore {
  return new FileMetadataStore({ fs: env.fs, logDir: env.dir, logger: silentLogger, nodeId: 1, ...extra });
}

function names(image: MetadataImage): string[] {
  return [...image.topics()].map((t) => t.name).sort();
}

async function files(env: FsEnv): Promise<string[]> {
  return (await env.fs.readdir(`${env.dir}/${METADATA_DIR_NAME}`)).sort();
}

describeBothFs('FileMetadataStore', (newEnv) => {
  metadataStoreContract(async () => {
    const env = await newEnv();
    return { open: () => store(env) };
  });

  test('appends survive a reopen; one journal file grows by one frame per batch', async () => {
    const env = await newEnv();
    const s = store(env);
    assert.equal((await s.load()).offset, 0);
    await s.append(createTopic(1, 3));
    const image = await s.append([...createTopic(2), { type: 'ConfigRecord', resourceType: 'topic', resourceName: 't2', name: 'retention.ms', value: '5' }]);
    assert.equal(image.offset, 4 + 3);
    assert.equal(await s.append([]), image, 'an empty change writes nothing');
    await s.close();
    assert.deepEqual(await files(env), ['00000000000000000000.journal']);

    const again = store(env);
    const loaded = await again.load();
    assert.equal(loaded.offset, 7);
    assert.deepEqual(names(loaded), ['t1', 't2']);
    assert.deepEqual(loaded.topic('t2')!.configs, { 'retention.ms': '5' });
    assert.ok(loaded.topic('t1')!.topicId.equals(id(1)));
    assert.equal((await again.append([{ type: 'RemoveTopicRecord', topicId: id(1) }])).offset, 8);
    await again.close();
    const third = store(env);
    assert.deepEqual(names(await third.load()), ['t2']);
    await third.close();
  });

  test('a batch that does not fit the image is refused before anything is written', async () => {
    const env = await newEnv();
    const s = store(env);
    await s.load();
    await assert.rejects(s.append([{ type: 'RemoveTopicRecord', topicId: id(9) }]), /no topic/);
    assert.equal((await s.append(createTopic(1))).offset, 2);
    await s.close();
  });

  test('snapshots every N records start a fresh journal and delete the old one', async () => {
    const env = await newEnv();
    const s = store(env, { snapshotIntervalRecords: 5 });
    await s.load();
    for (let i = 0; i < 7; i++) await s.append(createTopic(i, 2)); // 3 records each
    assert.equal(s.stats.snapshots, 3); // at 6, 12 and 18 records
    await s.close();
    assert.deepEqual(await files(env), ['00000000000000000018.journal', '00000000000000000018.snapshot']);
    const again = store(env, { snapshotIntervalRecords: 5 });
    const image = await again.load();
    assert.equal(image.offset, 21);
    assert.equal(image.topicCount, 7);
    assert.equal(image.partitionCount, 14);
    await again.close();
  });

  test('a snapshot by bytes', async () => {
    const env = await newEnv();
    const s = store(env, { snapshotIntervalBytes: 1000 });
    await s.load();
    for (let i = 0; i < 20; i++) await s.append(createTopic(i));
    assert.ok(s.stats.snapshots >= 2, `${s.stats.snapshots} snapshots`);
    await s.close();
    const again = store(env);
    assert.equal((await again.load()).topicCount, 20);
    await again.close();
  });

  test('a torn or corrupt journal tail is truncated with a warning; later appends land after it', async () => {
    const env = await newEnv();
    const s = store(env);
    await s.load();
    await s.append(createTopic(1));
    await s.append(createTopic(2));
    await s.close();
    const journal = `${env.dir}/${METADATA_DIR_NAME}/00000000000000000000.journal`;
    const good = (await env.fs.readFile(journal)).length;
    // A third batch whose last bytes never reached the disk, plus trailing garbage.
    const fh = await env.fs.open(journal, 'readwrite');
    await fh.write(Buffer.from([0, 0, 0, 40, 1, 2, 3, 4, 5, 6]), good);
    await fh.sync();
    await fh.close();
    const { logger, lines } = capture();
    const again = store(env, { logger });
    const image = await again.load();
    assert.deepEqual(names(image), ['t1', 't2']);
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /truncating a torn or corrupt metadata journal tail/);
    assert.equal((await env.fs.readFile(journal)).length, good, 'the tail is gone from the file');
    await again.append(createTopic(3));
    await again.close();
    const third = store(env);
    assert.deepEqual(names(await third.load()), ['t1', 't2', 't3']);
    await third.close();
  });

  test('a batch with a flipped byte (CRC mismatch) ends the journal there', async () => {
    const env = await newEnv();
    const s = store(env);
    await s.load();
    await s.append(createTopic(1));
    await s.append(createTopic(2));
    await s.append(createTopic(3));
    await s.close();
    const journal = `${env.dir}/${METADATA_DIR_NAME}/00000000000000000000.journal`;
    const bytes = await env.fs.readFile(journal);
    const second = bytes.readUInt32BE(0) + 8;
    const fh = await env.fs.open(journal, 'readwrite');
    await fh.write(Buffer.from([bytes[second + 20]! ^ 0xff]), second + 20);
    await fh.sync();
    await fh.close();
    const again = store(env);
    assert.deepEqual(names(await again.load()), ['t1'], 'never serves the damaged batch or anything after it');
    await again.close();
  });

  test('a corrupt snapshot is a startup error naming the file', async () => {
    const env = await newEnv();
    const s = store(env, { snapshotIntervalRecords: 1 });
    await s.load();
    await s.append(createTopic(1));
    await s.close();
    const snapshot = `${env.dir}/${METADATA_DIR_NAME}/00000000000000000002.snapshot`;
    const bytes = await env.fs.readFile(snapshot);
    bytes[bytes.length - 3] ^= 0x55;
    await env.fs.writeFileAtomic(snapshot, bytes);
    await assert.rejects(store(env).load(), (err: Error) => err.message.includes(snapshot) && /CRC/.test(err.message));
  });

  test('migrates sherwood-metadata.json, keeping topic ids, configs and broker configs', async () => {
    const env = await newEnv();
    const legacy = {
      version: 1,
      topics: [
        { name: 'orders', topicId: id(7).toString('base64url'), numPartitions: 3, replicationFactor: 1, configs: { 'retention.ms': '1000' }, internal: false },
        { name: '__consumer_offsets', topicId: id(8).toString('base64url'), numPartitions: 2, replicationFactor: 1, configs: {}, internal: true },
      ],
      brokerConfigs: { broker: { 'message.max.bytes': '100' }, default: { 'log.retention.ms': '5' } },
    };
    await env.fs.writeFileAtomic(`${env.dir}/sherwood-metadata.json`, Buffer.from(JSON.stringify(legacy)));
    const s = store(env, { nodeId: 3 });
    const image = await s.load();
    const orders = image.topic('orders')!;
    assert.ok(orders.topicId.equals(id(7)));
    assert.deepEqual(orders.configs, { 'retention.ms': '1000' });
    assert.deepEqual(orders.partitions.map((p) => [p.replicas, p.isr, p.leader, p.leaderEpoch]), Array(3).fill([[3], [3], 3, 0]));
    assert.equal(image.topic('__consumer_offsets')!.isInternal, true);
    assert.deepEqual(image.brokerConfigs(3), { 'message.max.bytes': '100' });
    assert.deepEqual(image.brokerConfigs('default'), { 'log.retention.ms': '5' });
    await s.append(createTopic(1));
    await s.close();
    assert.equal(await env.fs.exists(`${env.dir}/sherwood-metadata.json`), false);
    assert.ok(await env.fs.exists(`${env.dir}/sherwood-metadata.json.migrated`));
    const again = store(env, { nodeId: 3 });
    assert.deepEqual(names(await again.load()), ['__consumer_offsets', 'orders', 't1']);
    await again.close();
  });

  test('an interrupted migration (snapshot written, old file not yet renamed) keeps the store', async () => {
    const env = await newEnv();
    const legacy = { version: 1, topics: [{ name: 'old', topicId: id(7).toString('base64url'), numPartitions: 1 }] };
    await env.fs.writeFileAtomic(`${env.dir}/sherwood-metadata.json`, Buffer.from(JSON.stringify(legacy)));
    const s = store(env);
    await s.load();
    await s.append([{ type: 'RemoveTopicRecord', topicId: id(7) }]);
    await s.close();
    // Put the old file back, as if the rename had not happened.
    await env.fs.rename(`${env.dir}/sherwood-metadata.json.migrated`, `${env.dir}/sherwood-metadata.json`);
    const again = store(env);
    assert.deepEqual(names(await again.load()), [], 'the journal wins over the old file');
    assert.equal(await env.fs.exists(`${env.dir}/sherwood-metadata.json`), false);
    await again.close();
  });

  test('a corrupt old metadata file refuses to start rather than losing topics', async () => {
    const env = await newEnv();
    await env.fs.writeFileAtomic(`${env.dir}/sherwood-metadata.json`, Buffer.from('{not json'));
    await assert.rejects(store(env).load(), /not valid JSON/);
  });
});

test('crash at random points: every acknowledged batch survives, nothing else appears', async () => {
  for (let seed = 1; seed <= 40; seed++) {
    const env = await makeEnv('memory', seed);
    const mem = env.memory!;
    let acknowledged = 0;
    const s = store(env, { snapshotIntervalRecords: 4 });
    await s.load();
    const attempts = 3 + (seed % 7);
    for (let i = 0; i < attempts; i++) {
      if (i === attempts - 1) mem.tearNextWrite(); // the last write tears (crash mid-write)
      try {
        await s.append(createTopic(i));
        acknowledged = i + 1;
      } catch {
        break;
      }
    }
    mem.crash();
    const again = store(env, { snapshotIntervalRecords: 4 });
    const image = await again.load();
    assert.equal(image.topicCount, acknowledged, `seed ${seed}`);
    assert.equal(image.offset, acknowledged * 2, `seed ${seed}`);
    // The store keeps working after recovery.
    await again.append(createTopic(100));
    await again.close();
  }
});

test('a failed fsync changes nothing, the store keeps working, and a crash does not resurrect the failed batch', async () => {
  const env = await makeEnv('memory');
  const s = store(env);
  await s.load();
  await s.append(createTopic(1));
  env.memory!.failNextSync();
  await assert.rejects(s.append(createTopic(2)), /writing the metadata journal/);
  const image = await s.append(createTopic(3));
  assert.deepEqual(names(image), ['t1', 't3']);
  assert.equal(image.offset, 4);
  env.memory!.crash();
  const again = store(env);
  assert.deepEqual(names(await again.load()), ['t1', 't3']);
  await again.close();
});

test('a failed snapshot leaves the batch durable and appends continue on the journal', async () => {
  const env = await makeEnv('memory');
  const { logger, lines } = capture();
  const s = store(env, { snapshotIntervalRecords: 2, logger });
  await s.load();
  env.memory!.failNextSync(`${env.dir}/${METADATA_DIR_NAME}/00000000000000000002.snapshot.tmp`);
  const image = await s.append(createTopic(1));
  assert.equal(image.topicCount, 1);
  assert.match(lines.join('\n'), /writing a metadata snapshot failed/);
  await s.append(createTopic(2));
  await s.append(createTopic(3));
  await s.close();
  const again = store(env);
  assert.deepEqual(names(await again.load()), ['t1', 't2', 't3']);
  await again.close();
});
