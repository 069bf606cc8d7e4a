#!/usr/bin/python3
"""Failover probe for bench/cluster.mjs: an idempotent acks=all producer (confluent-kafka)
sending one small record every 5 ms to partition 0 of TOPIC (its value: the send time), printing
"ack <send ms> <ack ms>" (epoch ms) for every acknowledged record, until killed (at most 10
minutes).

Usage: /usr/bin/python3 bench/failover_probe.py BOOTSTRAP TOPIC
"""
import sys, time
from confluent_kafka import Producer

bootstrap, topic = sys.argv[1], sys.argv[2]
p = Producer({'bootstrap.servers': bootstrap, 'enable.idempotence': True, 'acks': 'all', 'linger.ms': 0,
              'message.timeout.ms': 120000, 'reconnect.backoff.max.ms': 200, 'topic.metadata.refresh.interval.ms': 500})


def report(err, msg):
    if err is None:
        print('ack %s %d' % (msg.value().decode(), int(time.time() * 1000)), flush=True)


deadline = time.time() + 600
while time.time() < deadline:
    try:
        p.produce(topic, value=b'%d' % int(time.time() * 1000), partition=0, on_delivery=report)
    except BufferError:
        pass
    p.poll(0.005)
