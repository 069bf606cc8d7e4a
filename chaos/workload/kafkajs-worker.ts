/**
 * Chaos workload roles on KafkaJS, in one child process.
 *
 * Usage: node --import tsx chaos/workload/kafkajs-worker.ts '<json config>'
 *   config: {bootstrap, topic, partitions, until (epoch ms), group, roles: [{role, name}]}
 *   roles:  idem       idempotent producer (acks=all, one request in flight), unique values
 *                      round-robin over the partitions, one send at a time
 *           txn        transactional producer: 1-3 partitions per transaction, every fourth
 *                      (seeded) aborted on purpose
 *           group      a consumer-group member (read_committed, manual commits after each batch)
 *           committed  an observer fetching the group's committed offsets every 500 ms
 * Prints one history event per line on stdout (chaos/checker/history.ts). Every loop ends at
 * `until` or on SIGTERM; each client call is bounded by KafkaJS's request timeout and retries.
 */
import { Kafka, logLevel, type Producer, type Consumer } from 'kafkajs';

interface Config {
  bootstrap: string;
  topic: string;
  partitions: number;
  until: number;
  group: string;
  seed: number;
  roles: { role: 'idem' | 'txn' | 'group' | 'committed'; name: string }[];
}

const conf = JSON.parse(process.argv[2]!) as Config;
let stopping = false;
process.on('SIGTERM', () => { stopping = true; });
const running = (): boolean => !stopping && Date.now() < conf.until;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function emit(process_: string, type: string, f: string, value: unknown, id?: number): void {
  process.stdout.write(JSON.stringify({ time: performance.timeOrigin + performance.now(), process: process_, type, f, value, ...(id !== undefined ? { id } : {}) }) + '\n');
}

const kafka = new Kafka({
  clientId: 'chaos-kafkajs', brokers: conf.bootstrap.split(','), logLevel: logLevel.NOTHING,
  connectionTimeout: 2000, requestTimeout: 5000, retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
});

async function idem(name: string): Promise<void> {
  let producer: Producer | undefined;
  let seq = 0;
  while (running()) {
    if (producer === undefined) {
      producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
      try {
        await producer.connect();
      } catch {
        producer = undefined;
        await sleep(200);
        continue;
      }
    }
    const partition = seq % conf.partitions;
    const value = `${name}-${seq++}`;
    emit(name, 'invoke', 'send', { topic: conf.topic, partition, value });
    try {
      const [meta] = await producer.send({ topic: conf.topic, acks: -1, messages: [{ value, partition }] });
      emit(name, 'ok', 'send', { topic: conf.topic, partition: meta!.partition, offset: Number(meta!.baseOffset), value });
    } catch (err) {
      emit(name, 'info', 'send', { value, error: String(err) });
      // A fresh producer (new producer id) after an error whose outcome is unknown.
      await producer.disconnect().catch(() => undefined);
      producer = undefined;
    }
    await sleep(5);
  }
  await producer?.disconnect().catch(() => undefined);
}

async function txn(name: string): Promise<void> {
  let rnd = (conf.seed ^ 0x5bd1e995) >>> 0;
  const next = (n: number): number => { rnd = (Math.imul(rnd, 1664525) + 1013904223) >>> 0; return rnd % n; };
  let producer: Producer | undefined;
  for (let n = 0; running(); n++) {
    if (producer === undefined) {
      producer = kafka.producer({ transactionalId: name, idempotent: true, maxInFlightRequests: 1, transactionTimeout: 10000 });
      try {
        await producer.connect();
      } catch {
        producer = undefined;
        await sleep(200);
        continue;
      }
    }
    const txnId = `${name}-t${n}`;
    const count = 1 + next(Math.min(3, conf.partitions));
    const first = next(conf.partitions);
    const writes = Array.from({ length: count }, (_, i) => ({ topic: conf.topic, partition: (first + i) % conf.partitions, value: `${txnId}-${i}` }));
    const abort = next(4) === 0;
    emit(name, 'invoke', 'txn', { txn: txnId, writes });
    let endTime: number | undefined;
    let t;
    try {
      t = await producer.transaction();
      for (const w of writes) await t.send({ topic: w.topic, acks: -1, messages: [{ value: w.value, partition: w.partition }] });
      endTime = Date.now();
      if (abort) await t.abort(); else await t.commit();
      emit(name, 'ok', 'txn', { txn: txnId, outcome: abort ? 'abort' : 'commit', endTime });
    } catch (err) {
      // Commit never sent, or an abort intended: a successful abort makes the outcome certain.
      if ((endTime === undefined || abort) && t !== undefined && t.isActive()) {
        try {
          await t.abort();
          emit(name, 'fail', 'txn', { txn: txnId, error: String(err), endTime });
          // A fresh producer (InitProducerId bumps the epoch) after any failed transaction:
          // KafkaJS does not advance a partition's sequence for a send whose outcome it never
          // learned, so the next transaction's batch reuses the sequence of a batch the broker
          // may have appended — which the broker, as Kafka's, answers as a duplicate and drops
          // (docs/reliability.md, "Results (3 brokers)", finding 1).
          await producer.disconnect().catch(() => undefined);
          producer = undefined;
          continue;
        } catch { /* unknown below */ }
      }
      emit(name, 'info', 'txn', { txn: txnId, error: String(err), endTime });
      await producer?.disconnect().catch(() => undefined);
      producer = undefined;
    }
    await sleep(50);
  }
  await producer?.disconnect().catch(() => undefined);
}

async function group(name: string): Promise<void> {
  const consumer: Consumer = kafka.consumer({
    groupId: conf.group, readUncommitted: false, sessionTimeout: 10000, heartbeatInterval: 1000,
    rebalanceTimeout: 10000, maxWaitTimeInMs: 200, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 },
  });
  let commitId = 0;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    const assigned = (e.payload.memberAssignment[conf.topic] ?? []) as number[];
    emit(name, 'ok', 'assign', { partitions: assigned.map((partition) => ({ topic: conf.topic, partition })) });
  });
  consumer.on(consumer.events.CRASH, (e) => {
    emit(name, 'info', 'meta', { consumerCrash: String(e.payload.error), restart: e.payload.restart });
  });
  await connectWithRetry(() => consumer.connect());
  await consumer.subscribe({ topic: conf.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: true,
    eachBatch: async ({ batch }) => {
      if (batch.messages.length === 0 || !running()) return;
      emit(name, 'ok', 'poll', {
        isolation: 'read_committed',
        records: batch.messages.map((m) => ({ topic: batch.topic, partition: batch.partition, offset: Number(m.offset), value: m.value!.toString() })),
      });
      const offset = Number(batch.lastOffset()) + 1;
      const offsets = [{ topic: batch.topic, partition: batch.partition, offset }];
      const id = ++commitId;
      emit(name, 'invoke', 'commit', { group: conf.group, offsets }, id);
      try {
        await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: String(offset) }]);
        emit(name, 'ok', 'commit', { group: conf.group, offsets }, id);
      } catch (err) {
        // Not rethrown: a rethrow makes KafkaJS re-deliver this batch in the same session; the
        // next batch's commit covers this one, and a fenced member rejoins (a new session).
        emit(name, 'info', 'commit', { group: conf.group, offsets, error: String(err) }, id);
      }
    },
  });
  while (running()) await sleep(100);
  await consumer.disconnect().catch(() => undefined);
}

async function committed(name: string): Promise<void> {
  const admin = kafka.admin();
  await connectWithRetry(() => admin.connect());
  let id = 0;
  while (running()) {
    const n = ++id;
    emit(name, 'invoke', 'committed', { group: conf.group }, n);
    try {
      const [t] = await admin.fetchOffsets({ groupId: conf.group, topics: [conf.topic] });
      const offsets = (t?.partitions ?? []).map((p) => ({ topic: conf.topic, partition: p.partition, offset: Number(p.offset) }));
      emit(name, 'ok', 'committed', { group: conf.group, offsets }, n);
    } catch (err) {
      emit(name, 'info', 'committed', { group: conf.group, error: String(err) }, n);
    }
    await sleep(500);
  }
  await admin.disconnect().catch(() => undefined);
}

async function connectWithRetry(connect: () => Promise<void>): Promise<void> {
  for (let attempt = 0; running(); attempt++) {
    try {
      await connect();
      return;
    } catch {
      await sleep(Math.min(2000, 100 * 2 ** attempt));
    }
  }
}

const ROLES = { idem, txn, group, committed };
await Promise.all(conf.roles.map(async (r) => {
  try {
    await ROLES[r.role](r.name);
  } catch (err) {
    emit(r.name, 'info', 'meta', { roleCrashed: String(err) });
  }
}));
process.exit(0);
