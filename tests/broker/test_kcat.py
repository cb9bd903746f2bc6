"""kcat (librdkafka 2.0) against rivulet broker: metadata, produce and
consume, every compression codec, offset queries, a balanced consumer group;
batches kcat compressed, read back from the data directory by
`rivulet consume --data-dir` once the broker has stopped."""
import glob
import os
import struct
import subprocess
import unittest

from broker_fixture import RIVULET, Broker


def kcat(broker, *args, input=None, timeout=60):
    r = subprocess.run(["kcat", "-b", broker.bootstrap, *args], input=input, capture_output=True,
                       timeout=timeout)
    return r


class KcatTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config={"num.partitions": "3"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def test_metadata(self):
        r = kcat(self.broker, "-L")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"1 brokers:", r.stdout)
        self.assertIn(f"broker 0 at 127.0.0.1:{self.broker.port}".encode(), r.stdout)

    def roundtrip(self, topic, codec):
        lines = b"".join(b"%s-%d\n" % (codec.encode(), i) for i in range(500))
        r = kcat(self.broker, "-P", "-t", topic, "-z", codec, "-X", "linger.ms=20", input=lines)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = kcat(self.broker, "-C", "-t", topic, "-o", "beginning", "-e", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(r.stdout.splitlines()), sorted(lines.splitlines()))

    def test_roundtrip_uncompressed(self):
        self.roundtrip("kcat-none", "none")

    def test_roundtrip_gzip(self):
        self.roundtrip("kcat-gzip", "gzip")

    def test_roundtrip_snappy(self):
        self.roundtrip("kcat-snappy", "snappy")

    def test_roundtrip_lz4(self):
        self.roundtrip("kcat-lz4", "lz4")

    def test_roundtrip_zstd(self):
        self.roundtrip("kcat-zstd", "zstd")

    def test_keys_land_where_the_java_client_puts_them(self):
        # kcat -P with keys uses librdkafka's consistent_random by default;
        # murmur2_random is the Java client's partitioner.
        from confluent_kafka.admin import AdminClient, NewTopic  # create with 5 partitions
        admin = AdminClient({"bootstrap.servers": self.broker.bootstrap})
        admin.create_topics([NewTopic("kcat-keys", 5, 1)])["kcat-keys"].result(timeout=30)
        r = kcat(self.broker, "-P", "-t", "kcat-keys", "-K", ":", "-X", "partitioner=murmur2_random",
                 input=b"21:a\nfoobar:b\nabc:c\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = kcat(self.broker, "-C", "-t", "kcat-keys", "-o", "beginning", "-e", "-q", "-f", "%k %p\n")
        got = dict(line.split() for line in r.stdout.decode().splitlines())
        # toPositive(murmur2(key)) % 5, with Kafka's murmur2 test vectors.
        self.assertEqual(got, {"21": "0", "foobar": "1", "abc": "2"})

    def test_offset_queries(self):
        kcat(self.broker, "-P", "-t", "kcat-offsets", "-p", "0", input=b"a\nb\nc\n")
        r = kcat(self.broker, "-Q", "-t", "kcat-offsets:0:-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"offset 3", r.stdout)
        r = kcat(self.broker, "-Q", "-t", "kcat-offsets:0:-2")
        self.assertIn(b"offset 0", r.stdout)

    def test_consume_from_offset(self):
        kcat(self.broker, "-P", "-t", "kcat-from", "-p", "0", input=b"0\n1\n2\n3\n4\n")
        r = kcat(self.broker, "-C", "-t", "kcat-from", "-p", "0", "-o", "2", "-e", "-q")
        self.assertEqual(r.stdout, b"2\n3\n4\n")


CODEC_IDS = {"none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}


def batch_codecs(data_dir, topic):
    """The codec id of every record batch stored for `topic` (from the
    segment files: RecordBatch v2, attributes at byte 21)."""
    codecs = []
    for path in glob.glob(os.path.join(data_dir, "topics", topic, "*", "*.log")):
        with open(path, "rb") as f:
            data = f.read()
        pos = 0
        while pos + 61 <= len(data):
            (length,) = struct.unpack(">i", data[pos + 8:pos + 12])
            (attributes,) = struct.unpack(">h", data[pos + 21:pos + 23])
            codecs.append(attributes & 7)
            pos += 12 + length
    return codecs


class ConsumeDataDirTest(unittest.TestCase):
    """Real clients produce with each codec to a broker; the broker stops;
    `rivulet consume --data-dir` reads every record from its directory.

    kcat's librdkafka 2.0.2 (Debian 12) compresses gzip, snappy and lz4 only
    when the broker's Produce range includes v0 and its Fetch range v2;
    before the broker advertised them it silently sent those batches
    uncompressed. kafka-python (with python3-snappy, -lz4,
    -zstandard) writes all four too, snappy in the Java client's xerial
    framing."""
    CODECS = ["gzip", "snappy", "lz4", "zstd"]
    COUNT = 2000

    @classmethod
    def lines(cls, client, codec):
        # Keys, so that records spread over both partitions; values that
        # compress, so that the client keeps the compressed form.
        return [b"k%d:%s %s value %d %s" % (i, client.encode(), codec.encode(), i, b"x" * (i % 50))
                for i in range(cls.COUNT)]

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config={"num.partitions": "2"}).start()
        try:
            for codec in cls.CODECS:
                r = kcat(cls.broker, "-P", "-t", f"dd-kcat-{codec}", "-z", codec, "-K", ":", "-X", "linger.ms=50",
                         input=b"".join(line + b"\n" for line in cls.lines("kcat", codec)))
                if r.returncode != 0:
                    raise RuntimeError(f"kcat -z {codec}: {r.stderr.decode()}")
            import kafka
            for codec in cls.CODECS:
                p = kafka.KafkaProducer(bootstrap_servers=cls.broker.bootstrap, compression_type=codec,
                                        linger_ms=50, batch_size=1 << 20)
                for line in cls.lines("python", codec):
                    key, value = line.split(b":", 1)
                    p.send(f"dd-python-{codec}", key=key, value=value)
                p.flush(timeout=30)
                p.close()
        finally:
            cls.broker.stop()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def consume(self, client, codec):
        topic = f"dd-{client}-{codec}"
        self.assertTrue(batch_codecs(self.broker.data_dir, topic), topic)
        r = subprocess.run([RIVULET, "consume", "--data-dir", self.broker.data_dir, "--topic", topic,
                            "--from-beginning", "--print-key", "--max-messages", str(self.COUNT),
                            "--timeout-ms", "5000"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        want = sorted(line.replace(b":", b"\t", 1) for line in self.lines(client, codec))
        self.assertEqual(sorted(r.stdout.splitlines()), want)

    def test_kcat_batches_are_compressed(self):
        for codec in self.CODECS:
            self.assertEqual(set(batch_codecs(self.broker.data_dir, f"dd-kcat-{codec}")), {CODEC_IDS[codec]},
                             codec)

    def test_kafka_python_batches_are_compressed(self):
        for codec in self.CODECS:
            self.assertEqual(set(batch_codecs(self.broker.data_dir, f"dd-python-{codec}")), {CODEC_IDS[codec]},
                             codec)

    def test_consume_kcat_gzip(self):
        self.consume("kcat", "gzip")

    def test_consume_kcat_snappy(self):
        self.consume("kcat", "snappy")

    def test_consume_kcat_lz4(self):
        self.consume("kcat", "lz4")

    def test_consume_kcat_zstd(self):
        self.consume("kcat", "zstd")

    def test_consume_kafka_python_gzip(self):
        self.consume("python", "gzip")

    def test_consume_kafka_python_snappy(self):
        self.consume("python", "snappy")

    def test_consume_kafka_python_lz4(self):
        self.consume("python", "lz4")

    def test_consume_kafka_python_zstd(self):
        self.consume("python", "zstd")


if __name__ == "__main__":
    unittest.main(verbosity=2)
