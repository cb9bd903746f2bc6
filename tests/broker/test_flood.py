"""A flood against a secured broker: 500 connections at once, on a
PLAINTEXT and a SASL_SSL listener, sending oversized frames, garbage
before the TLS handshake, half a ClientHello then garbage, garbage after
the handshake, and garbage in the middle of a SCRAM exchange, while a well-behaved client (confluent-kafka over SASL_SSL
with SCRAM-SHA-512) keeps producing and consuming. The broker must stay
up, its memory must stay bounded (measured: RSS during the flood against
before), and the good client must lose nothing.
"""
import os
import random
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from confluent_kafka import Consumer, Producer, TopicPartition

from broker_fixture import rss_bytes, RIVULET, Broker, free_port, make_pki

MiB = 1 << 20
CONNECTIONS = 500


def frame(api_key, version, body, correlation_id=1):
    header = struct.pack(">hhih", api_key, version, correlation_id, 5) + b"flood"
    return struct.pack(">i", len(header) + len(body)) + header + body


class FloodTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.pki_dir = tempfile.mkdtemp(prefix="rivulet-flood-pki-")
        cls.pki = make_pki(cls.pki_dir)
        cls.broker = Broker()
        cls.sasl_port = free_port()
        cls.broker.config = {
            "listeners": f"PLAINTEXT://127.0.0.1:{cls.broker.port},SASL_SSL://127.0.0.1:{cls.sasl_port}",
            "ssl.keystore.location": cls.pki["keystore"],
            "sasl.enabled.mechanisms": "SCRAM-SHA-512",
            "socket.request.max.bytes": str(64 * MiB),
            "queued.max.request.bytes": str(64 * MiB),
            "request.read.timeout.ms": "20000",
            "connection.failed.authentication.delay.ms": "0",
            "group.initial.rebalance.delay.ms": "0",
        }
        subprocess.run([RIVULET, "users", "--data-dir", cls.broker.data_dir, "--add", "good", "--mechanism",
                        "SCRAM-SHA-512", "--iterations", "4096", "--password-stdin"], input=b"good-pw", check=True,
                       timeout=60)
        cls.broker.start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()
        subprocess.run(["rm", "-rf", cls.pki_dir])

    def client_conf(self):
        return {"bootstrap.servers": f"127.0.0.1:{self.sasl_port}", "security.protocol": "SASL_SSL",
                "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "good", "sasl.password": "good-pw",
                "ssl.ca.location": self.pki["ca"]}

    def tls(self):
        ctx = ssl.create_default_context(cafile=self.pki["ca"])
        raw = socket.create_connection(("127.0.0.1", self.sasl_port), timeout=10)
        return ctx.wrap_socket(raw, server_hostname="127.0.0.1")

    def attack(self, kind, rng):
        """One hostile connection, left open; returns the socket."""
        if kind == "oversized":  # declares 48 MiB, sends 64 KiB of it, stalls
            s = socket.create_connection(("127.0.0.1", self.broker.port), timeout=10)
            s.sendall(struct.pack(">i", 48 * MiB) + rng.randbytes(64 * 1024))
        elif kind == "before-tls":  # garbage where the ClientHello belongs
            s = socket.create_connection(("127.0.0.1", self.sasl_port), timeout=10)
            s.sendall(rng.randbytes(rng.randint(1, 4096)))
        elif kind == "during-tls":  # half a real ClientHello, then garbage
            incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
            tls = ssl.create_default_context(cafile=self.pki["ca"]).wrap_bio(incoming, outgoing,
                                                                             server_hostname="127.0.0.1")
            try:
                tls.do_handshake()
            except ssl.SSLWantReadError:
                pass
            hello = outgoing.read()
            s = socket.create_connection(("127.0.0.1", self.sasl_port), timeout=10)
            s.sendall(hello[:len(hello) // 2] + rng.randbytes(rng.randint(1, 2048)))
        elif kind == "after-tls":  # a TLS session, then garbage frames
            s = self.tls()
            s.sendall(struct.pack(">i", 400 * 1024) + rng.randbytes(rng.randint(1, 8192)))
        else:  # mid-SCRAM: a real handshake and client-first, then garbage as client-final
            s = self.tls()
            s.sendall(frame(17, 1, struct.pack(">h", 13) + b"SCRAM-SHA-512"))
            first = b"n,,n=good,r=" + rng.randbytes(12).hex().encode()
            s.sendall(frame(36, 1, struct.pack(">i", len(first)) + first, 2))
            garbage = rng.randbytes(rng.randint(1, 2048))
            s.sendall(frame(36, 1, struct.pack(">i", len(garbage)) + garbage, 3))
        return s

    def test_the_broker_stays_up_bounded_and_serving_through_a_flood(self):
        pid = self.broker.proc.pid
        topic = "flood-" + uuid.uuid4().hex[:8]
        producer = Producer(self.client_conf())
        sent = []
        errors = []

        def produce(n):
            for i in range(n):
                value = f"{len(sent)}".encode()
                producer.produce(topic, value, on_delivery=lambda e, m: errors.append(e) if e else None)
                sent.append(value)
            producer.flush(60)

        produce(100)
        self.assertEqual(errors, [])
        time.sleep(0.5)
        before = rss_bytes(pid)

        # The good client keeps producing while the flood opens.
        stop = threading.Event()

        def keep_producing():
            while not stop.is_set():
                produce(20)
                time.sleep(0.05)

        worker = threading.Thread(target=keep_producing)
        worker.start()
        rng = random.Random(7)
        kinds = ["oversized", "before-tls", "during-tls", "after-tls", "mid-scram"]
        hostile, refused = [], 0
        try:
            for i in range(CONNECTIONS):
                try:
                    hostile.append(self.attack(kinds[i % len(kinds)], rng))
                except (OSError, ssl.SSLError):
                    refused += 1  # the broker may close one before the attack is sent: fine
            time.sleep(1.0)
            during = rss_bytes(pid)
            growth = during - before
            print(f"broker RSS before {before / MiB:.1f} MiB, with {len(hostile)} hostile connections open "
                  f"{during / MiB:.1f} MiB (+{growth / MiB:.1f} MiB; 100 x 48 MiB declared)")
            # 100 oversized requests declare 4.8 GB; the pool holds 64 MiB of
            # them at most, plus the connections' own buffers.
            self.assertLess(growth, 128 * MiB, "the broker's memory grew with what the flood declared")
            self.assertTrue(self.broker.alive())
        finally:
            stop.set()
            worker.join()
            for s in hostile:
                s.close()
        self.assertEqual(errors, [], "the good client's produce failed during the flood")
        self.assertTrue(self.broker.alive())

        # Everything the good client sent is there, in order.
        consumer = Consumer(dict(self.client_conf(), **{"group.id": "g-" + topic, "auto.offset.reset": "earliest"}))
        consumer.assign([TopicPartition(topic, 0, 0)])
        got = []
        deadline = time.time() + 60
        while len(got) < len(sent) and time.time() < deadline:
            m = consumer.poll(0.5)
            if m is not None and m.error() is None:
                got.append(m.value())
        consumer.close()
        self.assertEqual(got, sent)
        # And a new connection is served at once.
        p = Producer(self.client_conf())
        p.produce(topic, b"after")
        self.assertEqual(p.flush(30), 0)


if __name__ == "__main__":
    unittest.main()
