"""kcat (librdkafka 2.0) against rivulet broker: metadata, produce and
consume, every compression codec, offset queries, a balanced consumer group."""
import subprocess
import unittest

from broker_fixture import Broker


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


if __name__ == "__main__":
    unittest.main(verbosity=2)
