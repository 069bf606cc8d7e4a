"""Chaos workload roles on librdkafka (confluent-kafka), one thread per role.

Usage: /usr/bin/python3 confluent_worker.py '<json config>'
  config: {"bootstrap": "127.0.0.1:9092", "topic": "chaos", "partitions": 4, "until": <epoch ms>,
           "seed": 1, "roles": [{"role": "idem"|"txn"|"consume"|"hwm"|"final", "name": "py-idem-0",
           "isolation": "read_committed"|"read_uncommitted"}]}
Prints one history event per line on stdout (format: chaos/checker/history.ts). CHAOS_RDKAFKA_DEBUG
(e.g. "eos,msg") turns on librdkafka debug logging (to stderr) for the idempotent producers. Every loop ends
at `until` (or on SIGTERM); "final" ends when every partition reached its end or at `until`.
Errors are recorded as 'info' (unknown outcome) unless the outcome is certain.
"""
import json, os, random, signal, sys, threading, time
import confluent_kafka
from confluent_kafka import Producer, Consumer, TopicPartition, KafkaException, KafkaError, OFFSET_BEGINNING

CONF = json.loads(sys.argv[1])
sys.stderr.write('confluent-kafka %s, librdkafka %s\n' % (confluent_kafka.version()[0], confluent_kafka.libversion()[0]))
TOPIC = CONF['topic']
PARTS = CONF['partitions']
UNTIL = CONF['until'] / 1000.0
STOP = threading.Event()
LOCK = threading.Lock()
COMMON = {'bootstrap.servers': CONF['bootstrap'], 'reconnect.backoff.ms': 50, 'reconnect.backoff.max.ms': 500,
          'socket.timeout.ms': 5000, 'topic.metadata.refresh.interval.ms': 2000}


def now_ms():
    return time.time() * 1000.0


def emit(process, type_, f, value, id_=None):
    e = {'time': now_ms(), 'process': process, 'type': type_, 'f': f, 'value': value}
    if id_ is not None:
        e['id'] = id_
    with LOCK:
        sys.stdout.write(json.dumps(e) + '\n')
        sys.stdout.flush()


def running():
    return not STOP.is_set() and time.time() < UNTIL


def idem(name, spec):
    """Idempotent acks=all producer: unique values round-robin over the partitions, <= 20 in flight."""
    pending = {}

    def on_delivery(err, msg):
        v = msg.value().decode()
        pending.pop(v, None)
        if err is None:
            emit(name, 'ok', 'send', {'topic': TOPIC, 'partition': msg.partition(), 'offset': msg.offset(), 'value': v})
        else:
            emit(name, 'info', 'send', {'value': v, 'error': str(err)})

    def make():
        debug = {'debug': os.environ['CHAOS_RDKAFKA_DEBUG']} if os.environ.get('CHAOS_RDKAFKA_DEBUG') else {}
        # One request in flight per connection: with several, a batch that follows a refused one
        # is answered OUT_OF_ORDER_SEQUENCE (as Kafka does), and librdkafka's recovery from that
        # is buggy — fatal in 2.0.2 (librdkafka#3584), an epoch bump that re-sends persisted
        # messages in >= 2.3 (#4953). docs/reliability.md, findings 2 and 4.
        return Producer({**COMMON, 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 5,
                         'max.in.flight.requests.per.connection': 1,
                         'message.timeout.ms': 15000, 'retry.backoff.ms': 100, **debug})
    p = make()
    seq = 0
    while running():
        if len(p) >= 20:
            p.poll(0.05)
            continue
        value = '%s-%d' % (name, seq)
        part = seq % PARTS
        seq += 1
        emit(name, 'invoke', 'send', {'topic': TOPIC, 'partition': part, 'value': value})
        pending[value] = True
        try:
            p.produce(TOPIC, value=value.encode(), partition=part, on_delivery=on_delivery)
        except (KafkaException, BufferError) as e:
            pending.pop(value, None)
            emit(name, 'fail', 'send', {'value': value, 'error': str(e)})
        p.poll(0.02)
    p.flush(20)
    for v in list(pending):
        emit(name, 'info', 'send', {'value': v, 'error': 'unresolved at shutdown'})


def txn(name, spec):
    """Transactional producer: 1-3 partitions per transaction, a quarter of them aborted on purpose."""
    rng = random.Random('%s-%s' % (CONF['seed'], name))

    def make():
        return Producer({**COMMON, 'transactional.id': name, 'transaction.timeout.ms': 10000,
                         'message.timeout.ms': 10000, 'linger.ms': 5})

    def init(p):
        deadline = time.time() + 60
        while time.time() < deadline and not STOP.is_set():
            try:
                p.init_transactions(10)
                return True
            except KafkaException as e:
                if e.args[0].fatal():
                    return False
                time.sleep(0.2)
        return False

    p = make()
    ready = init(p)
    n = 0
    while running():
        if not ready:
            p = make()
            ready = init(p)
            continue
        tid = '%s-t%d' % (name, n)
        n += 1
        parts = rng.sample(range(PARTS), rng.randint(1, min(3, PARTS)))
        writes = [{'topic': TOPIC, 'partition': q, 'value': '%s-%d' % (tid, i)} for i, q in enumerate(parts)]
        abort = rng.random() < 0.25
        emit(name, 'invoke', 'txn', {'txn': tid, 'writes': writes})
        end_time = None
        try:
            p.begin_transaction()
            for w in writes:
                p.produce(TOPIC, value=w['value'].encode(), partition=w['partition'])
            p.poll(0)
            end_time = now_ms()
            if abort:
                p.abort_transaction(20)
                emit(name, 'ok', 'txn', {'txn': tid, 'outcome': 'abort', 'endTime': end_time})
            else:
                for attempt in range(3):
                    try:
                        p.commit_transaction(20)
                        break
                    except KafkaException as e:
                        if not e.args[0].retriable() or attempt == 2:
                            raise
                emit(name, 'ok', 'txn', {'txn': tid, 'outcome': 'commit', 'endTime': end_time})
        except (KafkaException, BufferError) as e:
            err = e.args[0] if isinstance(e, KafkaException) else None
            # Commit never called, or the client says the transaction must abort: try to abort.
            # A successful abort makes the outcome certain; anything else leaves it unknown.
            if (end_time is None or abort or (err is not None and err.txn_requires_abort())) and not (err is not None and err.fatal()):
                try:
                    p.abort_transaction(20)
                    emit(name, 'fail', 'txn', {'txn': tid, 'error': str(e), 'endTime': end_time})
                    time.sleep(0.05)
                    continue
                except KafkaException as e2:
                    e = e2
            emit(name, 'info', 'txn', {'txn': tid, 'error': str(e), 'endTime': end_time})
            ready = False
        time.sleep(0.05)


def consume(name, spec):
    """Assigned (no group) consumer of every partition from the beginning at one isolation level."""
    iso = spec['isolation']
    c = Consumer({**COMMON, 'group.id': 'unused-' + name, 'enable.auto.commit': False, 'isolation.level': iso,
                  'auto.offset.reset': 'error', 'fetch.wait.max.ms': 200})
    parts = [TopicPartition(TOPIC, q, OFFSET_BEGINNING) for q in range(PARTS)]
    c.assign(parts)
    emit(name, 'ok', 'assign', {'partitions': [{'topic': TOPIC, 'partition': q} for q in range(PARTS)]})
    while running():
        msgs = c.consume(num_messages=200, timeout=0.2)
        records = []
        for m in msgs:
            if m.error():
                if m.error().code() != KafkaError._PARTITION_EOF:
                    emit(name, 'info', 'poll', {'isolation': iso, 'error': str(m.error())})
                continue
            r = {'topic': TOPIC, 'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode()}
            epoch = m.leader_epoch() if hasattr(m, 'leader_epoch') else None  # confluent-kafka >= 2.1
            if epoch is not None and epoch >= 0:
                r['leaderEpoch'] = epoch
            records.append(r)
        if records:
            emit(name, 'ok', 'poll', {'isolation': iso, 'records': records})
    c.close()


def hwm(name, spec):
    """High-watermark observer: ListOffsets(latest, read_uncommitted) per partition, every 200 ms.
    With confluent-kafka >= 2.3 through the admin API, which also gives the answering leader's
    epoch (the checker sets a deposed leader's answers aside); else get_watermark_offsets."""
    admin = None
    try:
        from confluent_kafka.admin import AdminClient, OffsetSpec
        from confluent_kafka import IsolationLevel
        admin = AdminClient(COMMON)
    except ImportError:
        c = Consumer({**COMMON, 'group.id': 'unused-' + name, 'isolation.level': 'read_uncommitted'})
    n = 0
    while running():
        for q in range(PARTS):
            n += 1
            emit(name, 'invoke', 'hwm', {'topic': TOPIC, 'partition': q}, n)
            try:
                if admin is not None:
                    tp = TopicPartition(TOPIC, q)
                    res = admin.list_offsets({tp: OffsetSpec.latest()}, isolation_level=IsolationLevel.READ_UNCOMMITTED, request_timeout=2)[tp].result()
                    emit(name, 'ok', 'hwm', {'topic': TOPIC, 'partition': q, 'highWatermark': res.offset, 'leaderEpoch': res.leader_epoch}, n)
                else:
                    lo, hi = c.get_watermark_offsets(TopicPartition(TOPIC, q), timeout=2, cached=False)
                    emit(name, 'ok', 'hwm', {'topic': TOPIC, 'partition': q, 'highWatermark': hi}, n)
            except KafkaException as e:
                emit(name, 'info', 'hwm', {'topic': TOPIC, 'partition': q, 'error': str(e)}, n)
        time.sleep(0.2)
    if admin is None:
        c.close()


def final(name, spec):
    """The final read_committed read of every partition, once no transaction is open (LSO = HWM)."""
    ru = Consumer({**COMMON, 'group.id': 'unused-' + name + '-ru', 'isolation.level': 'read_uncommitted'})
    rc = Consumer({**COMMON, 'group.id': 'unused-' + name, 'isolation.level': 'read_committed',
                   'enable.partition.eof': True, 'enable.auto.commit': False, 'auto.offset.reset': 'error'})
    while running():
        try:
            stable = all(ru.get_watermark_offsets(TopicPartition(TOPIC, q), timeout=2, cached=False)[1] ==
                         rc.get_watermark_offsets(TopicPartition(TOPIC, q), timeout=2, cached=False)[1] for q in range(PARTS))
        except KafkaException:
            stable = False
        if stable:
            break
        time.sleep(0.5)
    rc.assign([TopicPartition(TOPIC, q, OFFSET_BEGINNING) for q in range(PARTS)])
    eof = set()
    total = 0
    while running() and len(eof) < PARTS:
        records = []
        for m in rc.consume(num_messages=500, timeout=0.5):
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    eof.add(m.partition())
                else:
                    emit(name, 'info', 'poll', {'isolation': 'read_committed', 'final': True, 'error': str(m.error())})
                continue
            records.append({'topic': TOPIC, 'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode()})
        if records:
            total += len(records)
            emit(name, 'ok', 'poll', {'isolation': 'read_committed', 'final': True, 'records': records})
    emit(name, 'info', 'meta', {'finalRead': 'complete' if len(eof) == PARTS else 'incomplete', 'records': total, 'partitionsAtEnd': len(eof)})
    rc.close()
    ru.close()


ROLES = {'idem': idem, 'txn': txn, 'consume': consume, 'hwm': hwm, 'final': final}


def guarded(fn, name, spec):
    try:
        fn(name, spec)
    except Exception as e:  # a role's crash is recorded, not silent
        emit(name, 'info', 'meta', {'roleCrashed': repr(e)})


signal.signal(signal.SIGTERM, lambda *_: STOP.set())
threads = [threading.Thread(target=guarded, args=(ROLES[r['role']], r['name'], r)) for r in CONF['roles']]
for t in threads:
    t.start()
for t in threads:
    t.join()
