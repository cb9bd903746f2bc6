"""kafka-python 2.0.2 and confluent-kafka 1.7 against rivulet broker, as a
Kafka user's scripts would run: producers with acks 0/1/all, consumer
groups that split partitions, commit, and resume; admin clients."""
import threading
import time
import unittest
import uuid

from broker_fixture import Broker

import confluent_kafka
import confluent_kafka.admin
import kafka
import kafka.admin


def unique(name):
    return f"{name}-{uuid.uuid4().hex[:8]}"


class KafkaPythonTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config={"num.partitions": "1", "group.initial.rebalance.delay.ms": "0"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def test_producer_acks_and_consumer_roundtrip(self):
        topic = unique("kp")
        for acks in (0, 1, "all"):
            p = kafka.KafkaProducer(bootstrap_servers=self.broker.bootstrap, acks=acks)
            futures = [p.send(topic, key=b"k%d" % i, value=b"%s-%d" % (str(acks).encode(), i)) for i in range(100)]
            p.flush(timeout=30)
            if acks != 0:
                offsets = [f.get(timeout=30).offset for f in futures]
                self.assertEqual(offsets, sorted(offsets))
            p.close()
        c = kafka.KafkaConsumer(topic, bootstrap_servers=self.broker.bootstrap, group_id=None,
                                auto_offset_reset="earliest", consumer_timeout_ms=3000)
        values = [m.value for m in c]
        c.close()
        self.assertEqual(len(values), 300)
        self.assertEqual(values[:3], [b"0-0", b"0-1", b"0-2"])

    def test_group_commit_and_resume(self):
        topic, group = unique("kpg"), unique("g")
        p = kafka.KafkaProducer(bootstrap_servers=self.broker.bootstrap, acks="all")
        for i in range(200):
            p.send(topic, value=b"%d" % i)
        p.flush(timeout=30)
        p.close()
        c = kafka.KafkaConsumer(topic, bootstrap_servers=self.broker.bootstrap, group_id=group,
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                consumer_timeout_ms=5000)
        first = []
        for m in c:
            first.append(int(m.value))
            if len(first) == 120:
                break
        c.commit()
        c.close()
        self.assertEqual(first, list(range(120)))
        c = kafka.KafkaConsumer(topic, bootstrap_servers=self.broker.bootstrap, group_id=group,
                                auto_offset_reset="earliest", consumer_timeout_ms=3000)
        rest = [int(m.value) for m in c]
        c.close()
        self.assertEqual(rest, list(range(120, 200)))

    def test_two_members_split_partitions(self):
        topic, group = unique("kpsplit"), unique("g")
        admin = kafka.admin.KafkaAdminClient(bootstrap_servers=self.broker.bootstrap)
        admin.create_topics([kafka.admin.NewTopic(topic, num_partitions=4, replication_factor=1)])
        p = kafka.KafkaProducer(bootstrap_servers=self.broker.bootstrap)
        for i in range(400):
            p.send(topic, key=b"%d" % i, value=b"%d" % i)
        p.flush()
        p.close()
        # Each member in its own thread, as separate processes would be
        # (kafka-python's poll blocks in a join until the rebalance ends).
        seen, assignments, lock = {}, {}, threading.Lock()
        stop = threading.Event()

        def member(name):
            c = kafka.KafkaConsumer(topic, bootstrap_servers=self.broker.bootstrap, group_id=group,
                                    auto_offset_reset="earliest", session_timeout_ms=10000)
            while not stop.is_set():
                for tp, msgs in c.poll(timeout_ms=200).items():
                    with lock:
                        for m in msgs:
                            seen[int(m.value)] = name
                with lock:
                    assignments[name] = {tp.partition for tp in c.assignment()}
            c.close()

        threads = [threading.Thread(target=member, args=(n,)) for n in ("a", "b")]
        for t in threads:
            t.start()
        deadline = time.time() + 60
        while time.time() < deadline:
            with lock:
                if (len(seen) == 400 and len(assignments.get("a", ())) == 2
                        and len(assignments.get("b", ())) == 2):
                    break
            time.sleep(0.1)
        with lock:
            parts_a, parts_b, count = set(assignments.get("a", ())), set(assignments.get("b", ())), len(seen)
        stop.set()
        for t in threads:
            t.join(30)
        self.assertEqual(count, 400)
        self.assertEqual(parts_a | parts_b, {0, 1, 2, 3})
        self.assertFalse(parts_a & parts_b)
        self.assertEqual(len(parts_a), 2)

    def test_admin(self):
        admin = kafka.admin.KafkaAdminClient(bootstrap_servers=self.broker.bootstrap)
        topic = unique("kpadmin")
        admin.create_topics([kafka.admin.NewTopic(topic, num_partitions=2, replication_factor=1)])
        self.assertIn(topic, admin.list_topics())
        with self.assertRaises(kafka.errors.TopicAlreadyExistsError):
            admin.create_topics([kafka.admin.NewTopic(topic, num_partitions=2, replication_factor=1)])
        admin.delete_topics([topic])
        self.assertNotIn(topic, admin.list_topics())
        admin.close()


class ConfluentKafkaTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config={"group.initial.rebalance.delay.ms": "0"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def test_produce_consume_group(self):
        topic, group = unique("ck"), unique("g")
        admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": self.broker.bootstrap})
        fs = admin.create_topics([confluent_kafka.admin.NewTopic(topic, 3, 1)])
        fs[topic].result(timeout=30)
        p = confluent_kafka.Producer({"bootstrap.servers": self.broker.bootstrap, "acks": "all",
                                      "compression.type": "lz4", "linger.ms": 10})
        delivered = []
        for i in range(300):
            p.produce(topic, key=str(i % 10), value=str(i),
                      on_delivery=lambda err, msg: delivered.append(err is None))
        self.assertEqual(p.flush(30), 0)
        self.assertEqual(delivered, [True] * 300)
        c = confluent_kafka.Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": group,
                                      "auto.offset.reset": "earliest", "enable.auto.commit": False})
        c.subscribe([topic])
        got = []
        deadline = time.time() + 60
        while len(got) < 300 and time.time() < deadline:
            m = c.poll(0.5)
            if m is None:
                continue
            self.assertIsNone(m.error())
            got.append(int(m.value()))
        c.commit(asynchronous=False)
        c.close()
        self.assertEqual(sorted(got), list(range(300)))
        # Committed: a new member of the group gets nothing more.
        c = confluent_kafka.Consumer({"bootstrap.servers": self.broker.bootstrap, "group.id": group,
                                      "auto.offset.reset": "earliest"})
        c.subscribe([topic])
        extra = [m for m in (c.poll(0.5) for _ in range(8)) if m is not None and not m.error()]
        c.close()
        self.assertEqual(extra, [])
        groups = admin.list_groups(timeout=10)
        self.assertIn(group, [g.id for g in groups])


if __name__ == "__main__":
    unittest.main(verbosity=2)
