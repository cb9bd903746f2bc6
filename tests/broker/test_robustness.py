"""Bad input never brings the broker down: malformed frames, wrong sizes,
unknown API keys and versions, clients vanishing mid-request, many idle
connections. Each offending connection is closed; the broker keeps serving.
"""
import os
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from broker_fixture import RIVULET, Broker, raw_request, record_batch, read_response, recv_exact

API_VERSIONS = 18
METADATA = 3


def api_versions_ok(port):
    resp = raw_request(port, API_VERSIONS, 0)
    if resp is None:
        return False
    corr, body = resp
    (err,) = struct.unpack(">h", body[:2])
    return corr == 7 and err == 0


class RobustnessTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        assert code == 0, f"broker exited with {code} on SIGTERM"

    def assertServing(self):
        self.assertTrue(self.broker.alive(), "broker died")
        self.assertTrue(api_versions_ok(self.broker.port), "broker stopped answering")

    def send_raw(self, data, expect_close=True):
        with socket.create_connection(("127.0.0.1", self.broker.port), timeout=5) as s:
            s.sendall(data)
            s.settimeout(5)
            try:
                rest = s.recv(1024)
            except (ConnectionResetError, socket.timeout):
                rest = b""
            if expect_close:
                self.assertEqual(rest, b"", "connection should have been closed")

    def test_api_versions_lists_all_apis(self):
        corr, body = raw_request(self.broker.port, API_VERSIONS, 2)
        err, n = struct.unpack(">hi", body[:6])
        self.assertEqual(err, 0)
        keys = {}
        for i in range(n):
            k, lo, hi = struct.unpack(">hhh", body[6 + 6 * i : 12 + 6 * i])
            keys[k] = (lo, hi)
        for k in (0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 19, 20):
            self.assertIn(k, keys)
        self.assertEqual(keys[18], (0, 3))

    def test_too_new_api_versions_gets_unsupported_version_and_list(self):
        # As Kafka does: error 35 with the supported list in the v0 layout.
        corr, body = raw_request(self.broker.port, API_VERSIONS, 99)
        self.assertEqual(corr, 7)
        err, n = struct.unpack(">hi", body[:6])
        self.assertEqual(err, 35)
        self.assertGreaterEqual(n, 16)
        self.assertEqual(len(body), 6 + 6 * n)

    def test_old_produce_versions_take_only_record_batch_v2(self):
        # Produce v0-v2 are advertised (librdkafka 2.0 compresses with gzip,
        # snappy and lz4 only then) but take only RecordBatch v2: a v1
        # message set gets UNSUPPORTED_FOR_MESSAGE_FORMAT (43).
        topic = b"old-produce"

        def produce(version, records):
            body = (struct.pack(">hi", -1, 5000) + struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
                    + struct.pack(">ii", 1, 0) + struct.pack(">i", len(records)) + records)
            corr, resp = raw_request(self.broker.port, 0, version, body)
            pos = 4 + 2 + len(topic) + 4
            return struct.unpack(">ihq", resp[pos:pos + 14])[1:]

        msg = b"\x00\x00\x00\x00" + b"\x01" + b"\x00" + struct.pack(">q", 1000) + struct.pack(">i", -1) + \
            struct.pack(">i", 1) + b"v"
        message_set_v1 = struct.pack(">qi", 0, len(msg)) + msg
        for version in (0, 1, 2):
            err, _ = produce(version, message_set_v1)
            self.assertEqual(err, 43, f"Produce v{version}")
        err, base = produce(0, record_batch(-1, -1, -1, [b"a", b"b"]))
        self.assertEqual((err, base), (0, 0))
        self.assertServing()

    def test_negative_size_closes(self):
        self.send_raw(struct.pack(">i", -5))
        self.assertServing()

    def test_huge_size_closes_without_allocating(self):
        self.send_raw(struct.pack(">i", 2_000_000_000) + b"x" * 100)
        self.assertServing()

    def test_tiny_frame_closes(self):
        self.send_raw(struct.pack(">i", 3) + b"abc")
        self.assertServing()

    def test_garbage_header_closes(self):
        self.send_raw(struct.pack(">i", 10) + struct.pack(">hhih", 3, 1, 1, 500))
        self.assertServing()

    def test_unknown_api_key_closes(self):
        self.assertIsNone(raw_request(self.broker.port, 999, 0))
        self.assertIsNone(raw_request(self.broker.port, -3, 0))
        self.assertServing()

    def test_unsupported_version_closes(self):
        self.assertIsNone(raw_request(self.broker.port, METADATA, 50))
        self.assertServing()

    def test_truncated_bodies_close(self):
        # A Metadata v1 body claiming 1000 topics but holding none.
        self.assertIsNone(raw_request(self.broker.port, METADATA, 1, struct.pack(">i", 1000)))
        for key, version in ((0, 3), (1, 4), (2, 1), (8, 2), (9, 1), (10, 0), (11, 0), (12, 0),
                             (13, 0), (14, 0), (15, 0), (19, 0), (20, 0)):
            for body in (b"", b"\x00", b"\xff" * 7, struct.pack(">i", 0x7FFFFFFF)):
                raw_request(self.broker.port, key, version, body)
        self.assertServing()

    def test_disconnect_mid_request(self):
        for cut in (1, 3, 4, 10):
            frame = struct.pack(">hhih", API_VERSIONS, 0, 1, 3) + b"abc"
            data = struct.pack(">i", len(frame)) + frame
            s = socket.create_connection(("127.0.0.1", self.broker.port), timeout=5)
            s.sendall(data[:cut])
            s.close()
        self.assertServing()

    def test_pipelined_requests_answered_in_order(self):
        with socket.create_connection(("127.0.0.1", self.broker.port), timeout=10) as s:
            frames = b""
            for corr in range(50):
                frame = struct.pack(">hhih", API_VERSIONS if corr % 2 else METADATA, 0 if corr % 2 else 1,
                                    corr, 1) + b"x" + (b"" if corr % 2 else struct.pack(">i", 0))
                frames += struct.pack(">i", len(frame)) + frame
            s.sendall(frames)
            got = [read_response(s)[0] for _ in range(50)]
        self.assertEqual(got, list(range(50)))

    def test_thousand_idle_connections(self):
        conns = []
        try:
            for _ in range(1000):
                conns.append(socket.create_connection(("127.0.0.1", self.broker.port), timeout=10))
            # Every one of them is served.
            for i in range(0, 1000, 97):
                s = conns[i]
                frame = struct.pack(">hhih", API_VERSIONS, 0, i, 1) + b"x"
                s.sendall(struct.pack(">i", len(frame)) + frame)
                self.assertEqual(read_response(s)[0], i)
            self.assertServing()
        finally:
            for s in conns:
                s.close()
        time.sleep(0.2)
        self.assertServing()


class LockedDirectoryTest(unittest.TestCase):
    def test_a_command_on_a_brokers_directory_is_told_to_use_bootstrap_server(self):
        broker = Broker().start()
        try:
            r = subprocess.run([RIVULET, "topics", "--list", "--data-dir", broker.data_dir], capture_output=True,
                               timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"is in use by process", r.stderr)
            self.assertIn(b"it is a rivulet broker: reach its log with --bootstrap-server", r.stderr)
        finally:
            broker.cleanup()


class BindFailureTest(unittest.TestCase):
    def test_a_broker_that_cannot_listen_leaves_no_data_directory(self):
        with socket.socket() as taken, tempfile.TemporaryDirectory() as parent:
            taken.bind(("127.0.0.1", 0))
            taken.listen(1)
            port = taken.getsockname()[1]
            data = os.path.join(parent, "never-created")
            r = subprocess.run([RIVULET, "broker", "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                               capture_output=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"cannot listen on 127.0.0.1", r.stderr)
            self.assertFalse(os.path.exists(data), "the failed broker left its data directory behind")
            # An existing directory is left as it was: no lock file either.
            os.makedirs(data)
            r = subprocess.run([RIVULET, "broker", "--data-dir", data, "--listen", f"127.0.0.1:{port}"],
                               capture_output=True, timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertEqual(os.listdir(data), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
