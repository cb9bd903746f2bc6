"""The rivulet command against a running broker (--bootstrap-server) behaves
as with --data-dir: topics, produce, consume with a group, groups."""
import os
import signal
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

    def describe(self, group, *extra):
        r = rivulet(self.broker, "groups", "--describe", "--group", group, *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.decode()

    def committed(self, group, topic):
        rows = [line.split() for line in self.describe(group).splitlines() if line.startswith(topic + " ")]
        return {int(row[1]): row[2] for row in rows}

    def test_reset_offsets_then_kcat_and_rivulet_read_from_there(self):
        self.assertEqual(rivulet(self.broker, "topics", "--create", "--topic", "resets").returncode, 0)
        lines = b"".join(b"%d\n" % i for i in range(10))
        self.assertEqual(rivulet(self.broker, "produce", "--topic", "resets", input=lines).returncode, 0)
        r = rivulet(self.broker, "consume", "--topic", "resets", "--group", "rg", "--from-beginning",
                    "--max-messages", "4", "--timeout-ms", "10000")
        self.assertEqual(r.stdout, b"0\n1\n2\n3\n", r.stderr)
        self.assertEqual(self.committed("rg", "resets"), {0: "4"})

        r = rivulet(self.broker, "groups", "--reset-offsets", "--group", "rg", "--topic", "resets", "--to-earliest")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"dry run", r.stderr)
        self.assertEqual(self.committed("rg", "resets"), {0: "4"})
        r = rivulet(self.broker, "groups", "--reset-offsets", "--group", "rg", "--all-topics", "--to-earliest",
                    "--execute")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.committed("rg", "resets"), {0: "0"})

        # kcat, a member of the same group, starts at the reset offset and
        # commits as it goes.
        k = subprocess.run(["kcat", "-b", self.broker.bootstrap, "-G", "rg", "-e", "-q", "-f", "%s\n", "resets"],
                           capture_output=True, timeout=60)
        self.assertEqual(k.returncode, 0, k.stderr)
        self.assertEqual(k.stdout, lines)
        self.assertEqual(self.committed("rg", "resets"), {0: "10"})

        r = rivulet(self.broker, "groups", "--reset-offsets", "--group", "rg", "--topic", "resets:0",
                    "--shift-by", "-3", "--execute")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = rivulet(self.broker, "consume", "--topic", "resets", "--group", "rg", "--timeout-ms", "3000")
        self.assertEqual(r.stdout, b"7\n8\n9\n", r.stderr)
        r = rivulet(self.broker, "groups", "--reset-offsets", "--group", "rg", "--topic", "resets",
                    "--to-datetime", "2000-01-01T00:00:00Z", "--execute")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.committed("rg", "resets"), {0: "0"})

        # While a member is active, resets and deletion are refused.
        member = subprocess.Popen(["kcat", "-b", self.broker.bootstrap, "-G", "rg", "-q", "resets"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = time.time() + 30
            while "Stable" not in self.describe("rg", "--state") and time.time() < deadline:
                time.sleep(0.2)
            state = self.describe("rg", "--state")
            self.assertIn("Stable", state)
            self.assertIn("range", state)
            members = self.describe("rg", "--members")
            self.assertIn("rdkafka", members)
            r = rivulet(self.broker, "groups", "--reset-offsets", "--group", "rg", "--topic", "resets",
                        "--to-latest", "--execute")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"offsets can only be reset while group 'rg' is inactive, but it is Stable", r.stderr)
            r = rivulet(self.broker, "groups", "--delete", "--group", "rg")
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"delete group rg", r.stderr)
            self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        finally:
            member.send_signal(signal.SIGINT)
            member.wait(timeout=30)
        deadline = time.time() + 30
        while "Empty" not in self.describe("rg", "--state") and time.time() < deadline:
            time.sleep(0.2)
        r = rivulet(self.broker, "groups", "--delete", "--group", "rg")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(b"rg\n", rivulet(self.broker, "groups", "--list").stdout)
        r = rivulet(self.broker, "groups", "--delete", "--group", "rg")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"does not exist", r.stderr)

    def test_alter_topic_then_keys_reach_the_new_partitions(self):
        self.assertEqual(rivulet(self.broker, "topics", "--create", "--topic", "grows").returncode, 0)
        r = rivulet(self.broker, "topics", "--alter", "--topic", "grows", "--partitions", "3", "--add-config",
                    "retention.ms=3600000")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = rivulet(self.broker, "topics", "--describe", "--topic", "grows")
        self.assertIn(b"PartitionCount: 3\tConfigs: retention.ms=3600000\n", r.stdout)
        lines = b"".join(b"key%d:v%d\n" % (i, i) for i in range(150))
        self.assertEqual(rivulet(self.broker, "produce", "--topic", "grows", "--key-separator", ":",
                                 input=lines).returncode, 0)
        k = subprocess.run(["kcat", "-b", self.broker.bootstrap, "-C", "-e", "-q", "-f", "%p\n", "-t", "grows"],
                           capture_output=True, timeout=60)
        counts = {p: k.stdout.splitlines().count(p) for p in (b"0", b"1", b"2")}
        self.assertEqual(sum(counts.values()), 150, k.stderr)
        for p, n in counts.items():
            self.assertGreater(n, 20, counts)
        r = rivulet(self.broker, "topics", "--alter", "--topic", "grows", "--partitions", "2")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"the count can only grow", r.stderr)
        r = rivulet(self.broker, "topics", "--alter", "--topic", "grows", "--delete-config", "retention.ms")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = rivulet(self.broker, "topics", "--describe", "--topic", "grows")
        self.assertIn(b"PartitionCount: 3\n", r.stdout)

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
