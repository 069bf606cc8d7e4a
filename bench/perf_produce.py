#!/usr/bin/python3
"""librdkafka produce load for bench/run.mjs (confluent-kafka; run with Debian's /usr/bin/python3).

Usage: /usr/bin/python3 bench/perf_produce.py BOOTSTRAP [--topic T] [--num N] [--size S]
         [--acks 1|all|0] [--linger-ms L] [--batch-size B] [--rate R] [--max-seconds S]
         [--idempotence] [--transaction-records N]

Produces N records of S fixed random bytes (null key) and waits for every delivery report.
Unthrottled (--rate 0): throughput; latency is librdkafka's produce()->delivery time.
Throttled (--rate R): record i is *intended* to be sent at t0 + i/R, and its latency is measured
from that intended time to its delivery report, so a stalled producer or broker shows up in the
percentiles instead of being hidden (no coordinated omission).
--idempotence: enable.idempotence=true (acks must be all). --transaction-records N: a transactional
producer (a fresh transactional.id) committing every N records; commit_transaction() flushes, so
the next transaction starts once every record of the previous one is delivered and committed.
Prints one JSON object on its last line. Exit 1 if any delivery failed.
"""
import argparse, json, os, sys, time, uuid
from confluent_kafka import Producer, version, libversion


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    i = min(len(sorted_vals) - 1, int(p / 100.0 * len(sorted_vals)))
    return sorted_vals[i]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bootstrap")
    ap.add_argument("--topic", default="bench")
    ap.add_argument("--num", type=int, default=100_000)
    ap.add_argument("--size", type=int, default=1024)
    ap.add_argument("--acks", default="1")
    ap.add_argument("--linger-ms", type=float, default=5)
    ap.add_argument("--batch-size", type=int, default=1 << 20)
    ap.add_argument("--rate", type=float, default=0)
    ap.add_argument("--max-seconds", type=float, default=60)
    ap.add_argument("--idempotence", action="store_true")
    ap.add_argument("--transaction-records", type=int, default=0)
    a = ap.parse_args()
    txn = a.transaction_records
    if txn and a.rate > 0:
        ap.error("--transaction-records is for unthrottled runs (--rate 0)")

    conf = {
        "bootstrap.servers": a.bootstrap,
        "acks": a.acks,
        "linger.ms": a.linger_ms,
        "batch.size": a.batch_size,
        "queue.buffering.max.messages": 2_000_000,
        "queue.buffering.max.kbytes": 1 << 21,
        "message.max.bytes": max(1_000_000, a.batch_size + 65536),
        "enable.idempotence": bool(a.idempotence or txn),
    }
    if txn:
        conf["transactional.id"] = "bench-%s" % uuid.uuid4()
    p = Producer(conf)
    if txn:
        p.init_transactions(30)
    payload = os.urandom(a.size)
    lat = []
    counts = {"ok": 0, "err": 0}
    first_error = [None]
    clock = time.perf_counter
    try:  # PR_SET_TIMERSLACK: 1 us instead of 50 us, so short sleeps end on time
        import ctypes
        ctypes.CDLL(None).prctl(29, 1000, 0, 0, 0)
    except Exception:
        pass
    sleep = time.sleep

    def on_delivery(err, msg):
        if err is not None:
            counts["err"] += 1
            if first_error[0] is None:
                first_error[0] = str(err)
        else:
            counts["ok"] += 1
            lat.append(msg.latency())

    def paced(intended):
        def cb(err, msg):
            if err is not None:
                counts["err"] += 1
                if first_error[0] is None:
                    first_error[0] = str(err)
            else:
                counts["ok"] += 1
                lat.append(clock() - intended)
        return cb

    # Warm-up: metadata and connections exist before the clock starts.
    if txn:
        p.begin_transaction()
    p.produce(a.topic, payload)
    if txn:
        p.commit_transaction(30)
    if p.flush(30) > 0:
        print(json.dumps({"tool": "bench/perf_produce.py", "errors": 1, "first_error": "warm-up record not delivered within 30 s"}))
        sys.exit(1)

    t0 = clock()
    deadline = t0 + a.max_seconds
    sent = 0
    produce, poll, topic = p.produce, p.poll, a.topic
    step = 1.0 / a.rate if a.rate > 0 else 0.0
    transactions = 0
    in_txn = 0
    txn_open = False
    while sent < a.num:
        if txn and not txn_open:
            p.begin_transaction()
            txn_open = True
        if step:
            intended = t0 + sent * step
            now = clock()
            if now < intended:
                poll(0)
                wait = intended - clock()
                if wait >= 0.001:
                    poll(wait)
                elif wait > 0:
                    sleep(wait)
                continue
            if now > deadline:
                break
            cb = paced(intended)
        else:
            cb = on_delivery
        try:
            produce(topic, payload, on_delivery=cb)
            sent += 1
        except BufferError:
            poll(0.001)
            continue
        if txn:
            in_txn += 1
            if in_txn >= txn or sent >= a.num:
                p.commit_transaction(60)
                transactions += 1
                in_txn = 0
                txn_open = False
        if (sent & 0x3FF) == 0:
            poll(0)
            if clock() > deadline:
                break
    if txn_open:
        p.commit_transaction(60)
        transactions += 1
    remaining = p.flush(max(30.0, a.max_seconds))
    elapsed = clock() - t0
    lat.sort()
    ms = lambda v: None if v is None else round(v * 1000, 3)
    res = {
        "tool": "bench/perf_produce.py",
        "client": "confluent_kafka %s / librdkafka %s" % (version()[0], libversion()[0]),
        "topic": a.topic, "acks": a.acks, "linger_ms": a.linger_ms, "batch_size": a.batch_size,
        "idempotence": bool(a.idempotence or txn), "transaction_records": txn, "transactions": transactions,
        "record_size": a.size, "rate": a.rate, "sent": sent, "delivered": counts["ok"],
        "errors": counts["err"], "first_error": first_error[0], "undelivered": remaining,
        "seconds": round(elapsed, 3),
        "records_per_s": round(counts["ok"] / elapsed),
        "MB_per_s": round(counts["ok"] * a.size / elapsed / 1e6, 1),
        "lat_ms_p50": ms(pct(lat, 50)), "lat_ms_p99": ms(pct(lat, 99)),
        "lat_ms_p999": ms(pct(lat, 99.9)), "lat_ms_max": ms(lat[-1] if lat else None),
    }
    print(json.dumps(res))
    sys.exit(1 if counts["err"] or remaining else 0)


if __name__ == "__main__":
    main()
