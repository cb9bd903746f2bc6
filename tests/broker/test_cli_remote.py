"""The rivulet command against a running broker (--bootstrap-server) behaves
as with --data-dir: topics, produce, consume with a group, groups."""
import os
import subprocess
import time
import unittest

from broker_fixture import RIVULET, Broker, free_port


def rivulet(broker, *args, input=None):
    return subprocess.run([RIVULET, *args, "--bootstrap-server", broker.bootstrap], input=input,
                          capture_output=True, timeout=120)


class CliRemoteTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config={"group.initial.rebalance.delay.ms": "0"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def test_topics_produce_consume_groups(self):
        r = rivulet(self.broker, "topics", "--create", "--topic", "remote", "--partitions", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = rivulet(self.broker, "topics", "--list")
        self.assertIn(b"remote\n", r.stdout)
        lines = b"".join(b"k%d:v%d\n" % (i % 5, i) for i in range(100))
        r = rivulet(self.broker, "produce", "--topic", "remote", "--key-separator", ":", input=lines)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = rivulet(self.broker, "topics", "--describe", "--topic", "remote")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"PartitionCount: 2", r.stdout)
        r = rivulet(self.broker, "consume", "--topic", "remote", "--group", "cli", "--from-beginning",
                    "--max-messages", "60", "--timeout-ms", "10000")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(len(r.stdout.splitlines()), 60)
        first = set(r.stdout.splitlines())
        # --from-beginning applies where the group has no commit yet (a
        # partition the first run never reached), as in Kafka.
        r = rivulet(self.broker, "consume", "--topic", "remote", "--group", "cli", "--from-beginning",
                    "--timeout-ms", "3000")
        self.assertEqual(r.returncode, 0, r.stderr)
        rest = set(r.stdout.splitlines())
        self.assertEqual(first | rest, {b"v%d" % i for i in range(100)})
        self.assertFalse(first & rest)
        r = rivulet(self.broker, "groups", "--describe", "--group", "cli")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"remote", r.stdout)
        r = rivulet(self.broker, "groups", "--list")
        self.assertIn(b"cli\n", r.stdout)
        r = rivulet(self.broker, "topics", "--delete", "--topic", "remote")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_errors_are_one_line(self):
        r = rivulet(self.broker, "topics", "--create", "--topic", "bad name")
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        r = subprocess.run([RIVULET, "topics", "--list", "--bootstrap-server", "127.0.0.1:1"],
                           capture_output=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)


class UnreachableBrokerTest(unittest.TestCase):
    def test_a_job_pointed_where_nothing_listens_fails_naming_the_address(self):
        port = free_port()  # bound and released: nothing listens there
        start = time.time()
        r = subprocess.run([RIVULET, "run", "relay", "--bootstrap-server", f"127.0.0.1:{port}", "--set",
                            "idle_end_ms=3000", "--no-progress"], capture_output=True, timeout=60)
        elapsed = time.time() - start
        self.assertNotEqual(r.returncode, 0)
        self.assertLess(elapsed, 30)
        err = r.stderr.decode()
        self.assertIn(f"cannot reach the Kafka cluster at 127.0.0.1:{port}", err)
        self.assertEqual(len(err.strip().splitlines()), 1, err)

    def test_a_command_pointed_where_nothing_listens_names_the_address(self):
        port = free_port()
        start = time.time()
        r = subprocess.run([RIVULET, "topics", "--list", "--bootstrap-server", f"127.0.0.1:{port}"],
                           capture_output=True, timeout=60)
        self.assertLess(time.time() - start, 30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(f"no answer from the broker at 127.0.0.1:{port}".encode(), r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
