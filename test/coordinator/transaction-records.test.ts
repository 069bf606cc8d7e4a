/**
 * `__transaction_state` records in Kafka's formats (TransactionLogKey v0, TransactionLogValue v0
 * written, v0 and v1 read), Java-hashCode partitioning, Kafka's state graph, and the
 * transitions' asserts: an invalid transition is a bug and fails loudly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AssertionError } from '../../src/base/assert.js';
import { Writer } from '../../src/protocol/primitives.js';
import {
  decodeTransactionRecord, encodeTransactionRecord, partitionForTransactionalId, transactionRecordSerde,
} from '../../src/coordinator/transaction/records.js';
import {
  isEpochExhausted, newTransactionMetadata, prepareAbortOrCommit, prepareAddPartitions, prepareComplete, prepareDead, prepareFenceProducerEpoch,
  prepareIncrementProducerEpoch, prepareProducerIdRotation, type TransactionMetadata,
} from '../../src/coordinator/transaction/transaction-metadata.js';
import { ALL_TRANSACTION_STATES, isValidTransition, TRANSACTION_STATE_IDS } from '../../src/coordinator/transaction/transaction-state.js';

const ongoing: TransactionMetadata = {
  transactionalId: 'tx', producerId: 42, prevProducerId: 42, nextProducerId: -1, producerEpoch: 3, lastProducerEpoch: -1, txnTimeoutMs: 60000,
  state: 'Ongoing', topicPartitions: [{ topic: 'a', partition: 0 }, { topic: 'a', partition: 2 }, { topic: 'b', partition: 1 }],
  txnStartTimestamp: 1000, txnLastUpdateTimestamp: 1500, clientTransactionVersion: 0,
};

test('TransactionLogKey v0 and TransactionLogValue v0 bytes are Kafka\'s', () => {
  const { key, value } = encodeTransactionRecord({ transactionalId: 'tx', metadata: ongoing });
  assert.deepEqual([...key], [0, 0, 0, 2, 0x74, 0x78], 'int16 version 0, int16 length, utf-8 id');
  const w = new Writer(64);
  w.int16(0); // value version
  w.int64(42); w.int16(3); w.int32(60000); w.int8(1); // producerId, epoch, timeout, Ongoing
  w.int32(2); // two topics, grouped
  w.string('a'); w.int32(2); w.int32(0); w.int32(2);
  w.string('b'); w.int32(1); w.int32(1);
  w.int64(1500); w.int64(1000); // last update, start
  assert.deepEqual(value, Buffer.from(w.toBuffer()));
  const back = decodeTransactionRecord(key, value)!;
  assert.deepEqual(back.metadata, { ...ongoing, prevProducerId: -1 }, 'v0 does not carry prevProducerId or lastProducerEpoch');
});

test('an Empty value has null partitions; a tombstone decodes to null metadata; Complete* keeps an empty list', () => {
  const empty = { ...ongoing, state: 'Empty' as const, topicPartitions: [], txnStartTimestamp: -1 };
  const v = encodeTransactionRecord({ transactionalId: 'tx', metadata: empty }).value!;
  // version(2) pid(8) epoch(2) timeout(4) status(1) → partitions array length at offset 17
  assert.equal(v.readInt32BE(17), -1, 'null array');
  const complete = { ...ongoing, state: 'CompleteCommit' as const, topicPartitions: [] };
  assert.equal(encodeTransactionRecord({ transactionalId: 'tx', metadata: complete }).value!.readInt32BE(17), 0, 'empty array');
  const tomb = encodeTransactionRecord({ transactionalId: 'tx', metadata: null });
  assert.equal(tomb.value, null);
  assert.deepEqual(decodeTransactionRecord(tomb.key, null), { transactionalId: 'tx', metadata: null });
  assert.throws(() => encodeTransactionRecord({ transactionalId: 'tx', metadata: { ...empty, topicPartitions: [{ topic: 'a', partition: 0 }] } }), /Empty but has partitions/);
});

test('TransactionLogValue v1 (flexible, tagged previous/next producer id and client version) is read', () => {
  const w = new Writer(64);
  w.int16(1);
  w.int64(42); w.int16(3); w.int32(60000); w.int8(2); // PrepareCommit
  w.unsignedVarint(2); // compact array of 1 topic
  w.unsignedVarint(2); w.raw(Buffer.from('a')); // compact string
  w.unsignedVarint(2); w.int32(5); // compact int32 array [5]
  w.unsignedVarint(0); // topic struct tagged fields
  w.int64(1500); w.int64(1000);
  w.unsignedVarint(3); // three tagged fields
  w.unsignedVarint(0); w.unsignedVarint(8); w.int64(41);
  w.unsignedVarint(1); w.unsignedVarint(8); w.int64(-1);
  w.unsignedVarint(2); w.unsignedVarint(2); w.int16(1);
  const key = encodeTransactionRecord({ transactionalId: 'tx', metadata: null }).key;
  const m = decodeTransactionRecord(key, Buffer.from(w.toBuffer()))!.metadata!;
  assert.equal(m.state, 'PrepareCommit');
  assert.deepEqual(m.topicPartitions, [{ topic: 'a', partition: 5 }]);
  assert.deepEqual([m.prevProducerId, m.nextProducerId, m.clientTransactionVersion], [41, -1, 1]);
});

test('unknown key versions are skipped, unknown states and value versions are errors', () => {
  assert.equal(decodeTransactionRecord(Buffer.from([0, 1, 0, 0]), null), null);
  const { key, value } = encodeTransactionRecord({ transactionalId: 'tx', metadata: ongoing });
  const badState = Buffer.from(value!);
  badState.writeInt8(9, 16);
  assert.throws(() => decodeTransactionRecord(key, badState), /unknown transaction state id 9/);
  const badVersion = Buffer.from(value!);
  badVersion.writeInt16BE(7, 0);
  assert.throws(() => transactionRecordSerde.deserialize(key, badVersion), /unknown version 7/);
});

test('a transactional id goes to Kafka\'s partition: abs(Java hashCode) % partitions', () => {
  // "my-txn".hashCode() = -1061187895 in Java; Utils.abs (n & 0x7fffffff) = 1086295753, % 50 = 3.
  assert.equal(partitionForTransactionalId('my-txn', 50), 3);
  assert.equal(partitionForTransactionalId('', 50), 0);
});

test('the state graph is Kafka\'s (incl. Transaction V2\'s aborts from Empty/Complete*), with Kafka\'s ids', () => {
  assert.deepEqual(TRANSACTION_STATE_IDS, { Empty: 0, Ongoing: 1, PrepareCommit: 2, PrepareAbort: 3, CompleteCommit: 4, CompleteAbort: 5, Dead: 6, PrepareEpochFence: 7 });
  const edges = ALL_TRANSACTION_STATES.flatMap((from) => ALL_TRANSACTION_STATES.filter((to) => isValidTransition(from, to)).map((to) => `${from}>${to}`));
  assert.deepEqual(edges.sort(), [
    'CompleteAbort>Dead', 'CompleteAbort>Empty', 'CompleteAbort>Ongoing', 'CompleteAbort>PrepareAbort',
    'CompleteCommit>Dead', 'CompleteCommit>Empty', 'CompleteCommit>Ongoing', 'CompleteCommit>PrepareAbort',
    'Empty>Dead', 'Empty>Empty', 'Empty>Ongoing', 'Empty>PrepareAbort',
    'Ongoing>Ongoing', 'Ongoing>PrepareAbort', 'Ongoing>PrepareCommit', 'Ongoing>PrepareEpochFence',
    'PrepareAbort>CompleteAbort', 'PrepareCommit>CompleteCommit', 'PrepareEpochFence>PrepareAbort',
  ].sort());
});

test('transitions build Kafka\'s next metadata and assert on invalid ones', () => {
  const fresh = newTransactionMetadata('tx', 7, 1000, 100);
  const first = prepareIncrementProducerEpoch(fresh, 1000, null, 110);
  assert.ok(first !== 'PRODUCER_FENCED');
  assert.deepEqual([first.producerId, first.producerEpoch, first.state], [7, 0, 'Empty']);
  const added = prepareAddPartitions(first, [{ topic: 'b', partition: 0 }, { topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }], 120);
  assert.deepEqual(added.topicPartitions, [{ topic: 'a', partition: 1 }, { topic: 'b', partition: 0 }]);
  assert.equal(added.txnStartTimestamp, 120);
  assert.equal(prepareAddPartitions(added, [{ topic: 'c', partition: 0 }], 130).txnStartTimestamp, 120, 'the start time stays');
  const commit = prepareAbortOrCommit(added, 'PrepareCommit', 140);
  const done = prepareComplete(commit, 150);
  assert.deepEqual([done.state, done.topicPartitions, done.producerEpoch, done.txnStartTimestamp], ['CompleteCommit', [], 0, 120]);
  const fenced = prepareFenceProducerEpoch(added);
  assert.deepEqual([fenced.state, fenced.producerEpoch], ['PrepareEpochFence', 1]);
  assert.equal(prepareFenceProducerEpoch({ ...added, producerEpoch: 32767 }).producerEpoch, 32767, 'never past Short.MAX_VALUE');
  assert.deepEqual(prepareAbortOrCommit(fenced, 'PrepareAbort', 160).producerEpoch, 1);

  assert.throws(() => prepareAbortOrCommit(first, 'PrepareCommit', 200), AssertionError, 'Empty → PrepareCommit');
  assert.throws(() => prepareComplete(added, 200), AssertionError, 'Ongoing → Complete');
  assert.throws(() => prepareAddPartitions(commit, [], 200), AssertionError, 'PrepareCommit → Ongoing');
  assert.throws(() => prepareDead(added), AssertionError, 'Ongoing → Dead');
  assert.throws(() => prepareFenceProducerEpoch(first), AssertionError, 'Empty → PrepareEpochFence');
  assert.throws(() => prepareAbortOrCommit(fenced, 'PrepareCommit', 200), AssertionError, 'PrepareEpochFence → PrepareCommit');
  assert.throws(() => prepareIncrementProducerEpoch({ ...first, producerEpoch: 32766 }, 1000, null, 200), AssertionError, 'exhausted epoch');
  assert.throws(() => prepareProducerIdRotation(added, 8, 1000, 200, false), AssertionError, 'rotating during a transaction');
  assert.equal(prepareDead(done).state, 'Dead');
});

test('KIP-360 epoch bumps: current epoch bumps, the previous one is a retry, anything else is fenced', () => {
  const m = { ...newTransactionMetadata('tx', 7, 1000, 0), producerEpoch: 4, lastProducerEpoch: 3 };
  const bumped = prepareIncrementProducerEpoch(m, 1000, 4, 1) as TransactionMetadata;
  assert.deepEqual([bumped.producerEpoch, bumped.lastProducerEpoch], [5, 4]);
  const retry = prepareIncrementProducerEpoch(bumped, 1000, 4, 2) as TransactionMetadata;
  assert.deepEqual([retry.producerEpoch, retry.lastProducerEpoch], [5, 4], 'a retry of the bump keeps the epoch');
  assert.equal(prepareIncrementProducerEpoch(bumped, 1000, 2, 3), 'PRODUCER_FENCED');
  assert.ok(isEpochExhausted(32766) && isEpochExhausted(32767) && !isEpochExhausted(32765));
  const exhausted = { ...m, producerEpoch: 32766, lastProducerEpoch: 32765 };
  assert.equal((prepareIncrementProducerEpoch(exhausted, 1000, 32765, 5) as TransactionMetadata).producerEpoch, 32766, 'a retry of the exhausting bump');
  assert.equal(prepareIncrementProducerEpoch(exhausted, 1000, 7, 5), 'PRODUCER_FENCED');
  const rotated = prepareProducerIdRotation({ ...m, producerEpoch: 32766 }, 8, 1000, 4, true);
  assert.deepEqual([rotated.producerId, rotated.producerEpoch, rotated.lastProducerEpoch, rotated.prevProducerId], [8, 0, 32766, 7]);
});
