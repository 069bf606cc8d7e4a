#!/usr/bin/python3
"""librdkafka consume load for bench/run.mjs (confluent-kafka; run with Debian's /usr/bin/python3).

Usage: /usr/bin/python3 bench/perf_consume.py BOOTSTRAP [--topic T] [--num N] [--max-seconds S]

Assigns every partition of the topic from the beginning (no consumer group, so the figure does
not include a group join) and reads until N records arrived. Throughput is measured from the
first record to the last. Prints one JSON object on its last line. Exit 1 if fewer than N arrived.
"""
import argparse, json, sys, time
from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING, version, libversion


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("bootstrap")
    ap.add_argument("--topic", default="bench")
    ap.add_argument("--num", type=int, default=100_000)
    ap.add_argument("--max-seconds", type=float, default=60)
    a = ap.parse_args()

    c = Consumer({
        "bootstrap.servers": a.bootstrap,
        "group.id": "bench-unused",
        "enable.auto.commit": False,
        "fetch.max.bytes": 64 << 20,
        "max.partition.fetch.bytes": 16 << 20,
        "queued.max.messages.kbytes": 1 << 20,
    })
    md = c.list_topics(a.topic, timeout=10)
    parts = sorted(md.topics[a.topic].partitions.keys())
    c.assign([TopicPartition(a.topic, p, OFFSET_BEGINNING) for p in parts])
    clock = time.perf_counter
    t_start = clock()
    deadline = t_start + a.max_seconds
    n = nbytes = errors = 0
    t_first = None
    while n < a.num and clock() < deadline:
        for m in c.consume(10000, 0.5):
            if m.error():
                errors += 1
                continue
            if t_first is None:
                t_first = clock()
            n += 1
            nbytes += len(m.value() or b"")
    t_end = clock()
    c.close()
    el = (t_end - t_first) if t_first else 0
    res = {
        "tool": "bench/perf_consume.py",
        "client": "confluent_kafka %s / librdkafka %s" % (version()[0], libversion()[0]),
        "topic": a.topic, "partitions": len(parts), "records": n, "bytes": nbytes, "errors": errors,
        "first_record_s": round(t_first - t_start, 3) if t_first else None,
        "seconds": round(el, 3),
        "records_per_s": round(n / el) if el > 0 else 0,
        "MB_per_s": round(nbytes / el / 1e6, 1) if el > 0 else 0,
    }
    print(json.dumps(res))
    sys.exit(0 if n >= a.num else 1)


if __name__ == "__main__":
    main()
