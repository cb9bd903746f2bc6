"""The broker's limits: memory for requests being read stays within
queued.max.request.bytes however many clients declare large requests and
stall; connections are bounded in all and per client address; a
well-behaved client keeps working through a flood and after it.
"""
import os
import socket
import struct
import time
import unittest

from broker_fixture import rss_bytes, Broker, raw_request, read_response

API_VERSIONS = 18
MiB = 1 << 20


def api_versions_ok(port):
    resp = raw_request(port, API_VERSIONS, 0)
    return resp is not None and resp[0] == 7 and struct.unpack(">h", resp[1][:2])[0] == 0


def log_size(broker):
    return os.path.getsize(broker.log_path) if os.path.exists(broker.log_path) else 0


def log_since(broker, offset):
    """What the broker logged after `offset` (the log file is shared by runs on the same port)."""
    with open(broker.log_path, "rb") as f:
        f.seek(offset)
        return f.read()


def eventually(check, timeout=10):
    deadline = time.time() + timeout
    while not check():
        if time.time() > deadline:
            return False
        time.sleep(0.1)
    return True


def closed_by_peer(s, timeout=5):
    s.settimeout(timeout)
    try:
        return s.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


class MemoryBoundTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config={
            "socket.request.max.bytes": 4 * MiB,
            "queued.max.request.bytes": 16 * MiB,
            "request.read.timeout.ms": 1500,
        }).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        assert code == 0, f"broker exited with {code} on SIGTERM"

    def produce_large(self, topic, value_bytes, timeout=30):
        """One record of value_bytes through confluent-kafka (one request above 64 KiB)."""
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": self.broker.bootstrap, "linger.ms": 0,
                      "message.max.bytes": 2 * MiB, "socket.timeout.ms": 60000})
        errors = []
        p.produce(topic, b"x" * value_bytes, on_delivery=lambda err, msg: errors.append(err))
        left = p.flush(timeout)
        return left == 0 and errors == [None]

    def test_flood_of_stalled_large_requests_holds_bounded_memory(self):
        port = self.broker.port
        pid = self.broker.proc.pid
        self.assertTrue(self.produce_large("before-flood", 600 * 1024))
        before = rss_bytes(pid)
        flood = []
        try:
            # 300 connections each declare a 4 MiB request and send 64 KiB
            # of it: 1.2 GB promised. Four fit the 16 MiB pool; the rest wait.
            for _ in range(300):
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(struct.pack(">i", 4 * MiB) + b"\0" * (64 * 1024))
                flood.append(s)
            time.sleep(0.5)
            during = rss_bytes(pid)
            # Small requests never wait for the pool.
            for _ in range(20):
                self.assertTrue(api_versions_ok(port), "a small request failed during the flood")
            growth = during - before
            print(f"broker RSS before {before / MiB:.1f} MiB, during the flood {during / MiB:.1f} MiB "
                  f"(+{growth / MiB:.1f} MiB for 300 x 4 MiB declared)")
            self.assertLess(growth, 48 * MiB, "the broker's memory grew with what the flood declared")
        finally:
            for s in flood:
                s.close()
        self.assertTrue(self.broker.alive())
        # After the flood, large requests get the pool again.
        self.assertTrue(self.produce_large("after-flood", 600 * 1024))
        self.assertTrue(api_versions_ok(port))

    def test_a_stalled_large_request_times_out_and_frees_its_reservation(self):
        port = self.broker.port
        stalled = []
        try:
            for _ in range(4):  # the whole pool
                s = socket.create_connection(("127.0.0.1", port), timeout=10)
                s.sendall(struct.pack(">i", 4 * MiB) + b"\0" * 1000)
                stalled.append(s)
            start = time.time()
            # Waits for the pool until the stalled ones time out (1.5 s).
            self.assertTrue(self.produce_large("after-stall", 300 * 1024))
            self.assertGreater(time.time() - start, 1.0)
            for s in stalled:
                self.assertTrue(closed_by_peer(s), "a stalled request's connection stayed open")
        finally:
            for s in stalled:
                s.close()

    def test_request_above_the_limit_closes_before_it_is_read(self):
        with socket.create_connection(("127.0.0.1", self.broker.port), timeout=5) as s:
            s.sendall(struct.pack(">i", 4 * MiB + 1) + b"\0" * 100)
            self.assertTrue(closed_by_peer(s))
        self.assertTrue(api_versions_ok(self.broker.port))


class PoolBelowMaxRequestTest(unittest.TestCase):
    def test_refused_at_start(self):
        broker = Broker(config={"socket.request.max.bytes": 8 * MiB, "queued.max.request.bytes": 4 * MiB})
        offset = log_size(broker)
        with self.assertRaises(RuntimeError):
            broker.start(timeout=5)
        broker.cleanup()
        self.assertIn(b"queued.max.request.bytes", log_since(broker, offset))


class ConnectionLimitsTest(unittest.TestCase):
    def run_limit(self, key, limit):
        broker = Broker(config={key: limit})
        offset = log_size(broker)
        broker.start()
        try:
            conns = [socket.create_connection(("127.0.0.1", broker.port), timeout=5) for _ in range(limit + 5)]
            try:
                time.sleep(0.3)
                refused = [s for s in conns if closed_by_peer(s, timeout=0.2)]
                # 5 over the limit; 6 if the fixture's readiness probe was
                # still counted when these came.
                self.assertIn(len(refused), (5, 6), f"{key}={limit}: {len(refused)} of {limit + 5} refused")
                # The ones kept are served.
                kept = [s for s in conns if s not in refused]
                frame = struct.pack(">hhih", API_VERSIONS, 0, 11, 1) + b"x"
                kept[0].sendall(struct.pack(">i", len(frame)) + frame)
                self.assertEqual(read_response(kept[0])[0], 11)
            finally:
                for s in conns:
                    s.close()
            # Closed connections count no more (once the broker has seen them close).
            self.assertTrue(eventually(lambda: api_versions_ok(broker.port)))
            self.assertIn(key.encode() + b" (" + str(limit).encode() + b") reached", log_since(broker, offset))
        finally:
            code = broker.stop()
            broker.cleanup()
            self.assertEqual(code, 0)

    def test_max_connections(self):
        self.run_limit("max.connections", 20)

    def test_max_connections_per_ip(self):
        self.run_limit("max.connections.per.ip", 8)


if __name__ == "__main__":
    unittest.main(verbosity=2)
