"""Byte-rate quotas per user (log/kafka/server/quota.h) against a real
client: confluent-kafka produces and consumes over SASL_PLAINTEXT as two
users, one with a quota and one without. The throttled one takes as long
as its budget says and librdkafka sees the throttle time in the responses;
the other is not slowed. Anonymous clients are counted by client id.
"""
import json
import os
import subprocess
import time
import unittest
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition

from broker_fixture import RIVULET, Broker, free_port

RATE = 40_000          # bytes per second
PAYLOAD = 200_000      # bytes sent by each client: five seconds of budget
RECORD = 2_000


def add_user(data_dir, name, password):
    subprocess.run([RIVULET, "users", "--data-dir", data_dir, "--add", name, "--mechanism", "SCRAM-SHA-256",
                    "--iterations", "4096", "--password-stdin"], input=password.encode(), check=True, timeout=60)


class QuotaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker()
        cls.sasl_port = free_port()
        cls.broker.config = {
            "listeners": f"PLAINTEXT://127.0.0.1:{cls.broker.port},SASL_PLAINTEXT://127.0.0.1:{cls.sasl_port}",
            "sasl.enabled.mechanisms": "SCRAM-SHA-256",
            "quota.producer.user.slow": str(RATE),
            "quota.consumer.user.slow": str(RATE),
            # Anonymous clients by client id: a default for everyone else.
            "quota.producer.default": str(RATE),
            "quota.producer.user.fast": "0",
            "quota.consumer.user.fast": "0",
            "quota.window.num": "3",
            "quota.window.size.seconds": "1",
            "group.initial.rebalance.delay.ms": "0",
        }
        for name in ("slow", "fast"):
            add_user(cls.broker.data_dir, name, name + "-pw")
        cls.broker.start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def conf(self, user):
        c = {"bootstrap.servers": f"127.0.0.1:{self.sasl_port}"}
        if user:
            c.update({"security.protocol": "SASL_PLAINTEXT", "sasl.mechanism": "SCRAM-SHA-256",
                      "sasl.username": user, "sasl.password": user + "-pw"})
        else:
            c["bootstrap.servers"] = self.broker.bootstrap
        return c

    def produce(self, user, topic, client_id="rivulet-quota-test"):
        """Sends PAYLOAD bytes in small batches; returns (seconds, max throttle ms librdkafka saw)."""
        throttles = []
        conf = self.conf(user)
        conf.update({"client.id": client_id, "linger.ms": 5, "batch.size": 8 * RECORD,
                     "statistics.interval.ms": 200,
                     "stats_cb": lambda s: throttles.extend(b["throttle"]["max"] for b in json.loads(s)["brokers"].values())})
        p = Producer(conf)
        value = b"x" * RECORD
        start = time.time()
        errors = []
        for _ in range(PAYLOAD // RECORD):
            p.produce(topic, value, on_delivery=lambda e, m: e and errors.append(e))
            p.poll(0)
        self.assertEqual(p.flush(60), 0)
        elapsed = time.time() - start
        p.poll(0.5)  # the last statistics
        self.assertEqual(errors, [])
        return elapsed, max(throttles, default=0)

    def test_a_user_over_its_produce_quota_is_throttled_and_another_is_not(self):
        topic = "q-" + uuid.uuid4().hex[:8]
        fast, fast_throttle = self.produce("fast", topic)
        slow, slow_throttle = self.produce("slow", topic)
        # 200 kB at 40 kB/s, measured over three 1 s windows: the first two
        # seconds' budget (80 kB) goes at once, the rest at the rate.
        self.assertGreater(slow, (PAYLOAD - 2 * RATE) / RATE * 0.8, f"slow took {slow:.2f} s")
        self.assertGreater(slow_throttle, 0, "librdkafka saw no throttle time")
        self.assertLess(fast, slow / 2, f"fast {fast:.2f} s, slow {slow:.2f} s")
        self.assertEqual(fast_throttle, 0)

    def test_a_user_over_its_fetch_quota_is_throttled(self):
        topic = "qf-" + uuid.uuid4().hex[:8]
        self.produce("fast", topic)

        def consume(user):
            throttles = []
            conf = self.conf(user)
            conf.update({"group.id": "g-" + uuid.uuid4().hex[:8], "auto.offset.reset": "earliest",
                         "fetch.max.bytes": 20_000, "max.partition.fetch.bytes": 20_000,
                         "message.max.bytes": 20_000, "receive.message.max.bytes": 100_000,
                         "statistics.interval.ms": 200,
                         "stats_cb": lambda s: throttles.extend(
                             b["throttle"]["max"] for b in json.loads(s)["brokers"].values())})
            c = Consumer(conf)
            c.assign([TopicPartition(topic, 0, 0)])
            got, start = 0, time.time()
            while got < PAYLOAD and time.time() - start < 60:
                m = c.poll(0.5)
                if m is not None and m.error() is None:
                    got += len(m.value())
            elapsed = time.time() - start
            c.poll(0.5)
            c.close()
            self.assertEqual(got, PAYLOAD)
            return elapsed, max(throttles, default=0)

        fast, _ = consume("fast")
        slow, slow_throttle = consume("slow")
        self.assertGreater(slow, (PAYLOAD - 2 * RATE) / RATE * 0.8, f"slow took {slow:.2f} s")
        self.assertGreater(slow_throttle, 0)
        self.assertLess(fast, slow / 2, f"fast {fast:.2f} s, slow {slow:.2f} s")

    def test_anonymous_clients_are_counted_by_client_id(self):
        topic = "qa-" + uuid.uuid4().hex[:8]
        first, throttle = self.produce(None, topic, client_id="anon-1")
        self.assertGreater(first, (PAYLOAD - 2 * RATE) / RATE * 0.8)
        self.assertGreater(throttle, 0)


if __name__ == "__main__":
    unittest.main()
