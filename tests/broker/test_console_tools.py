"""`rivulet produce` and `rivulet consume` against a real `rivulet broker`,
with kcat (librdkafka 2.0) on the other side: headers both ways, --timestamp
in kcat's %T, every --compression-codec read back by kcat (and stored
compressed), --acks 0/1/all, --offset earliest/latest/N on a partition, and
bad input refused before anything is sent. Loopback only; every wait is
bounded. (The embedded log: tests/tools/console_test.cc.)"""
import subprocess
import time
import unittest

from broker_fixture import RIVULET, Broker
from test_kcat import CODEC_IDS, batch_codecs

TIMEOUT = 60


def rivulet(broker, *args, input=None):
    return subprocess.run([RIVULET, *args, "--bootstrap-server", broker.bootstrap], input=input,
                          capture_output=True, timeout=TIMEOUT)


def kcat(broker, *args, input=None):
    return subprocess.run(["kcat", "-b", broker.bootstrap, *args], input=input, capture_output=True,
                          timeout=TIMEOUT)


class ConsoleToolsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config={"num.partitions": "1"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def produce(self, topic, lines, *flags):
        r = rivulet(self.broker, "produce", "--topic", topic, *flags, input=lines)
        self.assertEqual(r.returncode, 0, r.stderr)

    def kcat_read(self, topic, fmt, *flags):
        r = kcat(self.broker, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", fmt, *flags)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def consume(self, topic, count, *flags):
        r = rivulet(self.broker, "consume", "--topic", topic, "--max-messages", str(count), "--timeout-ms", "10000",
                    *flags)
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout

    def test_headers_from_rivulet_produce_in_kcat(self):
        self.produce("hdr-out", b"one\ntwo\n", "--header", "trace=abc", "--header", "empty=", "--header", "eq=a=b")
        self.assertEqual(self.kcat_read("hdr-out", "%h|%s\\n"),
                         b"trace=abc,empty=,eq=a=b|one\ntrace=abc,empty=,eq=a=b|two\n")

    def test_headers_from_kcat_in_rivulet_consume(self):
        r = kcat(self.broker, "-P", "-t", "hdr-in", "-H", "k=v", "-H", "e=", "-H", "n", input=b"x\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.consume("hdr-in", 1, "--offset", "earliest", "--format", "%h|%s\\n"),
                         b"k=v,e=,n=null|x\n")
        # kcat itself prints a null header value as NULL (docs/guide/consume.md).
        self.assertEqual(self.kcat_read("hdr-in", "%h|%s\\n"), b"k=v,e=,n=NULL|x\n")

    def test_timestamp_in_kcat_and_rivulet_consume(self):
        self.produce("ts", b"a\nb\n", "--timestamp", "1600000000123")
        self.assertEqual(self.kcat_read("ts", "%T %s\\n"), b"1600000000123 a\n1600000000123 b\n")
        self.assertEqual(self.consume("ts", 2, "--offset", "earliest", "--format", "%T %o %s\\n"),
                         b"1600000000123 0 a\n1600000000123 1 b\n")

    def test_every_format_token_matches_kcat(self):
        # Tokens both print the same way (not %k/%s of a null: see the guide).
        self.produce("fmt", b"k1:v1\nk2:" + b"w" * 300 + b"\n", "--key-separator", ":", "--header", "h=1",
                     "--timestamp", "1700000000000")
        fmt = "%t|%p|%o|%T|%k|%s|%K|%S|%h|%%|\\t%R\\x41\\n"
        want = self.kcat_read("fmt", fmt)
        self.assertIn(b"fmt|0|1|1700000000000|k2|" + b"w" * 300 + b"|2|300|h=1|%|\t\x00\x00\x01\x2cA\n", want)
        self.assertEqual(self.consume("fmt", 2, "--offset", "earliest", "--format", fmt), want)

    def test_every_codec_is_read_by_kcat_and_stored_compressed(self):
        for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
            with self.subTest(codec=codec):
                topic = f"codec-{codec}"
                # Values that compress even alone (a batch may hold one):
                # librdkafka keeps a batch uncompressed when compressing does
                # not make it smaller.
                lines = [b"%s record %d %s" % (codec.encode(), i, b"x" * 200) for i in range(500)]
                self.produce(topic, b"".join(line + b"\n" for line in lines), "--compression-codec", codec)
                self.assertEqual(self.kcat_read(topic, "%s\\n").splitlines(), lines)
                self.assertEqual(set(batch_codecs(self.broker.data_dir, topic)), {CODEC_IDS[codec]})

    def test_every_acks_delivers(self):
        want = []
        for acks in ["0", "1", "all", "-1"]:
            lines = [b"acks %s %d" % (acks.encode(), i) for i in range(10)]
            self.produce("acks", b"".join(line + b"\n" for line in lines), "--acks", acks)
            want += lines
        self.assertEqual(self.kcat_read("acks", "%s\\n").splitlines(), want)
        r = rivulet(self.broker, "produce", "--topic", "acks", "--acks", "sync", input=b"never\n")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, b"rivulet: InvalidArgument: --acks sync needs --data-dir: a broker fsyncs by its "
                                   b"own flush settings (use --acks all)\n")

    def test_offset_earliest_latest_and_n(self):
        r = rivulet(self.broker, "topics", "--create", "--topic", "offsets", "--partitions", "2")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.produce("offsets", b"a\nb\nc\nd\ne\n", "--partition", "0")
        self.produce("offsets", b"x\n", "--partition", "1")
        fmt = ["--format", "%p:%o:%s\\n"]
        self.assertEqual(self.consume("offsets", 5, "--partition", "0", "--offset", "earliest", *fmt),
                         b"0:0:a\n0:1:b\n0:2:c\n0:3:d\n0:4:e\n")
        self.assertEqual(self.consume("offsets", 2, "--partition", "0", "--offset", "3", *fmt), b"0:3:d\n0:4:e\n")
        # The same records as kcat -o 3.
        r = kcat(self.broker, "-C", "-t", "offsets", "-p", "0", "-o", "3", "-e", "-q", "-f", "%p:%o:%s\\n")
        self.assertEqual(r.stdout, b"0:3:d\n0:4:e\n")
        self.assertEqual(self.consume("offsets", 1, "--partition", "1", "--offset", "0", *fmt), b"1:0:x\n")
        everything = self.consume("offsets", 6, "--offset", "earliest", *fmt)
        self.assertEqual(sorted(everything.splitlines()),
                         [b"0:0:a", b"0:1:b", b"0:2:c", b"0:3:d", b"0:4:e", b"1:0:x"])
        r = rivulet(self.broker, "consume", "--topic", "offsets", "--partition", "0", "--offset", "latest",
                    "--timeout-ms", "1500", *fmt)
        self.assertEqual((r.returncode, r.stdout), (0, b""), r.stderr)
        # latest reads what comes after it started: produce until it prints.
        consumer = subprocess.Popen([RIVULET, "consume", "--topic", "offsets", "--partition", "0", "--offset",
                                     "latest", "--max-messages", "1", "--timeout-ms", "30000", *fmt,
                                     "--bootstrap-server", self.broker.bootstrap],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            for i in range(100):
                if consumer.poll() is not None:
                    break
                self.produce("offsets", b"new-%d\n" % i, "--partition", "0")
                time.sleep(0.2)
            out, err = consumer.communicate(timeout=TIMEOUT)
        finally:
            if consumer.poll() is None:
                consumer.kill()
                consumer.communicate()
        self.assertEqual(consumer.returncode, 0, err)
        partition, offset, value = out.decode().rstrip("\n").split(":")
        self.assertEqual(partition, "0")
        self.assertGreaterEqual(int(offset), 5)
        self.assertEqual(value, f"new-{int(offset) - 5}")

    def test_bad_input_is_refused_before_anything_is_sent(self):
        cases = [
            (["produce", "--topic", "bad", "--header", "novalue"], "--header 'novalue' is not key=value"),
            (["produce", "--topic", "bad", "--compression-codec", "brotli"],
             "--compression-codec: unknown compression codec 'brotli': use none, gzip, snappy, lz4 or zstd"),
            (["produce", "--topic", "bad", "--timestamp", "soon"],
             "--timestamp must be milliseconds since the epoch (a number >= 1), got 'soon'"),
            (["consume", "--topic", "bad", "--partition", "0", "--offset", "soon"],
             "--offset must be earliest, latest or an offset >= 0, got 'soon'"),
            (["consume", "--topic", "bad", "--partition", "0", "--offset", "-1"],
             "--offset -1 is negative: give earliest, latest or an offset >= 0"),
        ]
        for args, error in cases:
            with self.subTest(args=args):
                r = rivulet(self.broker, *args, input=b"never\n")
                self.assertEqual(r.returncode, 1)
                self.assertEqual(r.stderr.decode(), f"rivulet: InvalidArgument: {error}\n")
        r = kcat(self.broker, "-L")  # all topics (naming one could create it)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn(b'topic "bad"', r.stdout)


if __name__ == "__main__":
    unittest.main(verbosity=2)
