"""Idempotence and transactions against rivulet broker with real clients
(confluent-kafka / librdkafka) and raw sockets: an idempotent producer,
commit / abort seen by read_committed and read_uncommitted consumers,
consume-transform-produce run twice, fencing, a producer killed inside a
transaction, a retried and a gapped idempotent batch on the wire, and the
broker killed mid-transaction.
"""
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import unittest
import uuid

from broker_fixture import Broker, read_response, record_batch

import confluent_kafka
import confluent_kafka.admin


def produce_v3(topic, partition, batch, acks=-1):
    """A Produce v3 request body: no transactional id."""
    return (struct.pack(">hhi", -1, acks, 10000) + struct.pack(">i", 1)
            + struct.pack(">h", len(topic)) + topic.encode() + struct.pack(">i", 1)
            + struct.pack(">i", partition) + struct.pack(">i", len(batch)) + batch)


def parse_produce_v3(body):
    """(error, base_offset) of the one partition of a Produce v3 response."""
    (n,) = struct.unpack(">i", body[:4])
    (tlen,) = struct.unpack(">h", body[4:6])
    pos = 6 + tlen + 4
    _, err, base = struct.unpack(">ihq", body[pos:pos + 14])
    return err, base


class Frames:
    """One connection for several requests."""

    def __init__(self, port):
        import socket
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.cid = 0

    def call(self, api_key, version, body):
        self.cid += 1
        header = struct.pack(">hhih", api_key, version, self.cid, 3) + b"raw"
        frame = header + body
        self.s.sendall(struct.pack(">i", len(frame)) + frame)
        r = read_response(self.s)
        assert r is not None and r[0] == self.cid
        return r[1]

    def close(self):
        self.s.close()


class TransactionsTest(unittest.TestCase):
    def setUp(self):
        self.broker = Broker().start()
        self.bootstrap = self.broker.bootstrap

    def tearDown(self):
        self.broker.cleanup()

    def topic(self, partitions=3):
        name = "t-" + uuid.uuid4().hex[:8]
        admin = confluent_kafka.admin.AdminClient({"bootstrap.servers": self.bootstrap})
        for f in admin.create_topics([confluent_kafka.admin.NewTopic(name, partitions, 1)]).values():
            f.result(10)
        return name

    def consume_all(self, topic, isolation, expect=None, timeout=20, group=None):
        c = confluent_kafka.Consumer({
            "bootstrap.servers": self.bootstrap,
            "group.id": group or "g-" + uuid.uuid4().hex[:8],
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": isolation,
        })
        c.subscribe([topic])
        out = []
        deadline = time.time() + timeout
        idle_since = None
        while time.time() < deadline:
            m = c.poll(0.2)
            if m is None:
                if expect is not None and len(out) >= expect:
                    break
                idle_since = idle_since or time.time()
                if expect is None and time.time() - idle_since > 3:
                    break
                continue
            idle_since = None
            if m.error():
                continue
            out.append(m)
        c.close()
        return out

    def txn_producer(self, txn_id, **extra):
        conf = {"bootstrap.servers": self.bootstrap, "transactional.id": txn_id, "linger.ms": 5}
        conf.update(extra)
        p = confluent_kafka.Producer(conf)
        p.init_transactions(15)
        return p

    def test_idempotent_producer_each_record_once_in_order_per_key(self):
        topic = self.topic(3)
        p = confluent_kafka.Producer({
            "bootstrap.servers": self.bootstrap, "enable.idempotence": True, "acks": "all",
            "compression.codec": "lz4", "max.in.flight.requests.per.connection": 5, "linger.ms": 2,
        })
        errors = []
        n = 20000
        for i in range(n):
            key = f"k{i % 50}"
            p.produce(topic, key=key, value=f"{key}:{i}",
                      on_delivery=lambda err, msg: err and errors.append(err))
            if i % 1000 == 0:
                p.poll(0)
        self.assertEqual(p.flush(30), 0)
        self.assertEqual(errors, [])
        got = self.consume_all(topic, "read_uncommitted", expect=n)
        self.assertEqual(len(got), n)
        values = [m.value().decode() for m in got]
        self.assertEqual(len(set(values)), n, "a record was stored twice")
        last = {}
        for v in values:
            key, i = v.split(":")
            self.assertGreater(int(i), last.get(key, -1), f"out of order for {key}")
            last[key] = int(i)

    def test_commit_abort_commit_read_committed_and_uncommitted(self):
        topic = self.topic(2)
        p = self.txn_producer("tx-" + uuid.uuid4().hex[:6])
        for batch, commit in (("a", True), ("b", False), ("c", True)):
            p.begin_transaction()
            for i in range(10):
                p.produce(topic, key=str(i), value=f"{batch}{i}")
            if commit:
                p.commit_transaction(15)
            else:
                p.flush(10)
                p.abort_transaction(15)
        committed = sorted(m.value().decode() for m in self.consume_all(topic, "read_committed", expect=20))
        self.assertEqual(committed, sorted([f"a{i}" for i in range(10)] + [f"c{i}" for i in range(10)]))
        everything = self.consume_all(topic, "read_uncommitted", expect=30)
        self.assertEqual(len(everything), 30)

    def test_consume_transform_produce_twice_finds_nothing_left(self):
        source, sink = self.topic(2), self.topic(2)
        seed = confluent_kafka.Producer({"bootstrap.servers": self.bootstrap})
        for i in range(200):
            seed.produce(source, key=str(i), value=str(i))
        self.assertEqual(seed.flush(10), 0)
        group = "ctp-" + uuid.uuid4().hex[:6]
        txn_id = "ctp-" + uuid.uuid4().hex[:6]

        def run():
            c = confluent_kafka.Consumer({
                "bootstrap.servers": self.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                "enable.auto.commit": False, "isolation.level": "read_committed",
            })
            c.subscribe([source])
            p = self.txn_producer(txn_id)
            moved = 0
            idle = 0
            while idle < 15:
                msgs = c.consume(50, 0.2)
                if not msgs:
                    idle += 1
                    continue
                idle = 0
                p.begin_transaction()
                for m in msgs:
                    if m.error():
                        continue
                    p.produce(sink, key=m.key(), value=b"x" + m.value())
                    moved += 1
                p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 15)
                p.commit_transaction(15)
            c.close()
            return moved

        self.assertEqual(run(), 200)
        self.assertEqual(run(), 0, "the second run found records the first had committed")
        out = [m.value().decode() for m in self.consume_all(sink, "read_committed", expect=200)]
        self.assertEqual(sorted(out), sorted(f"x{i}" for i in range(200)))

    def test_second_producer_fences_the_first(self):
        topic = self.topic(1)
        txn_id = "fence-" + uuid.uuid4().hex[:6]
        first = self.txn_producer(txn_id)
        first.begin_transaction()
        first.produce(topic, value=b"zombie")
        first.flush(10)
        second = self.txn_producer(txn_id)
        with self.assertRaises(confluent_kafka.KafkaException) as ctx:
            first.produce(topic, value=b"zombie-2")
            first.commit_transaction(15)
        err = ctx.exception.args[0]
        self.assertTrue(err.fatal() or err.code() in (confluent_kafka.KafkaError._FENCED,
                                                       confluent_kafka.KafkaError.INVALID_PRODUCER_EPOCH,
                                                       confluent_kafka.KafkaError.PRODUCER_FENCED), err)
        second.begin_transaction()
        second.produce(topic, value=b"live")
        second.commit_transaction(15)
        values = [m.value() for m in self.consume_all(topic, "read_committed", expect=1)]
        self.assertEqual(values, [b"live"])

    def test_producer_killed_inside_a_transaction_is_aborted_by_its_timeout(self):
        topic = self.topic(1)
        child = textwrap.dedent(f"""
            import sys, confluent_kafka
            p = confluent_kafka.Producer({{"bootstrap.servers": "{self.bootstrap}",
                                          "transactional.id": "doomed", "transaction.timeout.ms": 5000}})
            p.init_transactions(15)
            p.begin_transaction()
            for i in range(5):
                p.produce("{topic}", value=b"doomed")
            p.flush(10)
            print("ready", flush=True)
            sys.stdin.read()
        """)
        proc = subprocess.Popen(["/usr/bin/python3", "-c", child], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.assertEqual(proc.stdout.readline().strip(), b"ready")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        other = self.txn_producer("survivor")
        other.begin_transaction()
        other.produce(topic, value=b"after")
        other.commit_transaction(15)
        start = time.time()
        values = [m.value() for m in self.consume_all(topic, "read_committed", expect=1, timeout=30)]
        self.assertEqual(values, [b"after"])
        self.assertLess(time.time() - start, 25)

    def test_raw_idempotent_retry_is_deduplicated_and_a_gap_refused(self):
        topic = self.topic(1)
        f = Frames(self.broker.port)
        # InitProducerId v1: transactional_id null, timeout.
        body = f.call(22, 1, struct.pack(">hi", -1, 60000))
        _, err, pid, epoch = struct.unpack(">ihqh", body[:16])
        self.assertEqual(err, 0)
        first = record_batch(pid, epoch, 0, [b"a", b"b"])
        err, base = parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, first)))
        self.assertEqual((err, base), (0, 0))
        second = record_batch(pid, epoch, 2, [b"c"])
        self.assertEqual(parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, second))), (0, 2))
        # The retry of the first batch: its original offset, nothing written.
        self.assertEqual(parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, first))), (0, 0))
        # A gap: sequence 5 where 3 is next.
        err, _ = parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, record_batch(pid, epoch, 5, [b"d"]))))
        self.assertEqual(err, 45)  # OUT_OF_ORDER_SEQUENCE_NUMBER
        # An older epoch after a newer one: fenced.
        self.assertEqual(parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, record_batch(pid, epoch + 1, 0, [b"e"])))),
                         (0, 3))
        err, _ = parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, record_batch(pid, epoch, 3, [b"f"]))))
        self.assertEqual(err, 47)  # INVALID_PRODUCER_EPOCH
        f.close()
        values = [m.value() for m in self.consume_all(topic, "read_uncommitted", expect=4)]
        self.assertEqual(values, [b"a", b"b", b"c", b"e"])

    def test_rivulet_transactions_lists_and_describes_through_the_broker(self):
        topic = self.topic(1)
        txn_id = "cli-" + uuid.uuid4().hex[:6]
        p = self.txn_producer(txn_id)
        p.begin_transaction()
        p.produce(topic, value=b"open")
        p.flush(10)

        def rivulet(*args):
            return subprocess.run([os.environ.get("RIVULET_BINARY", "rivulet"), "transactions",
                                   "--bootstrap-server", self.bootstrap, *args], capture_output=True, timeout=30)
        listed = rivulet("--list")
        self.assertEqual(listed.returncode, 0, listed.stderr)
        line = [l for l in listed.stdout.decode().splitlines() if l.startswith(txn_id)]
        self.assertEqual(len(line), 1, listed.stdout)
        self.assertIn("Ongoing", line[0])
        described = rivulet("--describe", "--transactional-id", txn_id)
        self.assertEqual(described.returncode, 0, described.stderr)
        out = described.stdout.decode()
        self.assertIn("TransactionState: Ongoing", out)
        self.assertIn(f"TopicPartitions: {topic}-0", out)
        p.commit_transaction(15)
        self.assertIn("TransactionState: CompleteCommit",
                      rivulet("--describe", "--transactional-id", txn_id).stdout.decode())
        missing = rivulet("--describe", "--transactional-id", "no-such-id")
        self.assertNotEqual(missing.returncode, 0)
        self.assertIn("unknown transactional id 'no-such-id'", missing.stderr.decode())

    def test_raw_retry_after_the_broker_was_killed_is_still_deduplicated(self):
        topic = self.topic(1)
        f = Frames(self.broker.port)
        body = f.call(22, 1, struct.pack(">hi", -1, 60000))
        _, err, pid, epoch = struct.unpack(">ihqh", body[:16])
        first = record_batch(pid, epoch, 0, [b"a", b"b"])
        self.assertEqual(parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, first))), (0, 0))
        second = record_batch(pid, epoch, 2, [b"c"])
        self.assertEqual(parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, second))), (0, 2))
        f.close()
        # SIGKILL: no snapshot on close; the state comes back from the log.
        self.broker.kill()
        self.broker.start()
        f = Frames(self.broker.port)
        self.assertEqual(parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, second))), (0, 2))
        self.assertEqual(parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, first))), (0, 0))
        err, _ = parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, record_batch(pid, epoch, 4, [b"x"]))))
        self.assertEqual(err, 45)
        self.assertEqual(parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, record_batch(pid, epoch, 3, [b"d"])))),
                         (0, 3))
        f.close()
        values = [m.value() for m in self.consume_all(topic, "read_uncommitted", expect=4)]
        self.assertEqual(values, [b"a", b"b", b"c", b"d"])

    def test_raw_transactional_write_needs_its_partition_added_first(self):
        topic = self.topic(1)
        f = Frames(self.broker.port)
        txn_id = b"raw-txn"
        body = f.call(22, 1, struct.pack(">h", len(txn_id)) + txn_id + struct.pack(">i", 60000))
        _, err, pid, epoch = struct.unpack(">ihqh", body[:16])
        self.assertEqual(err, 0)
        batch = record_batch(pid, epoch, 0, [b"t"], transactional=True)
        # Not added to a transaction: refused (KIP-890), nothing written.
        err, _ = parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, batch)))
        self.assertEqual(err, 48)  # INVALID_TXN_STATE
        # AddPartitionsToTxn v1, then the same batch is accepted.
        add = (struct.pack(">h", len(txn_id)) + txn_id + struct.pack(">qh", pid, epoch) + struct.pack(">i", 1)
               + struct.pack(">h", len(topic)) + topic.encode() + struct.pack(">ii", 1, 0))
        resp = f.call(24, 1, add)
        self.assertEqual(resp[-2:], b"\x00\x00")  # the one partition's error: none
        self.assertEqual(parse_produce_v3(f.call(0, 3, produce_v3(topic, 0, batch))), (0, 0))
        # EndTxn v1 (commit): the record becomes visible to read_committed.
        end = struct.pack(">h", len(txn_id)) + txn_id + struct.pack(">qhb", pid, epoch, 1)
        self.assertEqual(struct.unpack(">ih", f.call(26, 1, end)[:6])[1], 0)
        f.close()
        values = [m.value() for m in self.consume_all(topic, "read_committed", expect=1)]
        self.assertEqual(values, [b"t"])

    def test_broker_killed_mid_transaction_aborts_it_and_keeps_the_committed(self):
        topic = self.topic(2)
        p = self.txn_producer("crash-" + uuid.uuid4().hex[:6])
        p.begin_transaction()
        for i in range(10):
            p.produce(topic, key=str(i), value=f"kept{i}")
        p.commit_transaction(15)
        p.begin_transaction()
        for i in range(10):
            p.produce(topic, key=str(i), value=f"open{i}")
        p.flush(10)
        self.broker.kill()
        self.broker.start()
        committed = sorted(m.value().decode() for m in self.consume_all(topic, "read_committed", expect=10))
        self.assertEqual(committed, sorted(f"kept{i}" for i in range(10)))
        # And nothing is left blocking read_committed readers: a new
        # transaction's records arrive.
        q = self.txn_producer("after-crash")
        q.begin_transaction()
        q.produce(topic, key=b"0", value=b"new")
        q.commit_transaction(15)
        committed = sorted(m.value().decode() for m in self.consume_all(topic, "read_committed", expect=11))
        self.assertIn("new", committed)
        self.assertEqual(len(committed), 11)


if __name__ == "__main__":
    unittest.main(verbosity=2)
