"""TLS listeners: a broker with a PLAINTEXT and an SSL listener at once
(listeners=, certificates as PEM files made here with openssl), the real
clients over SSL (kcat, confluent-kafka, kafka-python, KafkaJS), Metadata
advertising the listener a client came through, a plaintext client on the
TLS port reaching nothing, mutual TLS (ssl.client.auth=required), and
configurations that cannot work refused at start with one line.
"""
import json
import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
import unittest
import uuid

from broker_fixture import RIVULET, Broker, free_port, make_pki, openssl, raw_request

HERE = os.path.dirname(os.path.abspath(__file__))


class TlsBroker(Broker):
    """A broker with PLAINTEXT on self.port and SSL on self.ssl_port."""

    def __init__(self, pki, client_auth="none", **extra):
        super().__init__()
        self.ssl_port = free_port()
        while self.ssl_port == self.port:
            self.ssl_port = free_port()
        self.log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        self.config = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},SSL://127.0.0.1:{self.ssl_port}",
            # What Metadata tells plaintext clients: a name, to see it is used.
            "advertised.listeners": f"PLAINTEXT://localhost:{self.port}",
            "request.read.timeout.ms": "1500",
            "ssl.keystore.type": "PEM",
            "ssl.keystore.location": pki["keystore"],
            "ssl.truststore.location": pki["ca"],
            "ssl.client.auth": client_auth,
            "group.initial.rebalance.delay.ms": "0",
        }
        self.config.update(extra)

    def logged(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.log_offset)
            return f.read()

    @property
    def ssl_bootstrap(self):
        return f"127.0.0.1:{self.ssl_port}"


class TlsCase(unittest.TestCase):
    """A fresh PKI and a TlsBroker with `client_auth` for the class's tests."""
    client_auth = "none"

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rivulet-tls-")
        cls.pki = make_pki(cls.dir)
        cls.broker = TlsBroker(cls.pki, client_auth=cls.client_auth).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert code == 0, f"broker exited with {code}"


class TlsTest(TlsCase):

    def confluent_conf(self, **extra):
        conf = {"bootstrap.servers": self.broker.ssl_bootstrap, "security.protocol": "ssl",
                "ssl.ca.location": self.pki["ca"]}
        conf.update(extra)
        return conf

    def test_kcat_over_ssl(self):
        topic = f"kcat-tls-{uuid.uuid4().hex[:8]}"
        ssl = ["-X", "security.protocol=ssl", "-X", f"ssl.ca.location={self.pki['ca']}"]
        lines = b"".join(b"tls-%d\n" % i for i in range(200))
        r = subprocess.run(["kcat", "-b", self.broker.ssl_bootstrap, *ssl, "-P", "-t", topic], input=lines,
                           capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = subprocess.run(["kcat", "-b", self.broker.ssl_bootstrap, *ssl, "-C", "-t", topic, "-o", "beginning", "-e",
                            "-q"], capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(r.stdout.splitlines()), sorted(lines.splitlines()))
        # Metadata through the SSL listener names the SSL listener.
        r = subprocess.run(["kcat", "-b", self.broker.ssl_bootstrap, *ssl, "-L"], capture_output=True, timeout=60)
        self.assertIn(f"broker 0 at 127.0.0.1:{self.broker.ssl_port}".encode(), r.stdout)
        r = subprocess.run(["kcat", "-b", self.broker.bootstrap, "-L"], capture_output=True, timeout=60)
        self.assertIn(f"broker 0 at localhost:{self.broker.port}".encode(), r.stdout)  # advertised.listeners

    def test_confluent_kafka_over_ssl(self):
        from confluent_kafka import Consumer, Producer
        topic = f"ck-tls-{uuid.uuid4().hex[:8]}"
        p = Producer(self.confluent_conf())
        for i in range(100):
            p.produce(topic, value=b"v%d" % i)
        self.assertEqual(p.flush(30), 0)
        c = Consumer(self.confluent_conf(**{"group.id": f"g-{topic}", "auto.offset.reset": "earliest"}))
        c.subscribe([topic])
        got = []
        for _ in range(300):
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                got.append(m.value())
            if len(got) == 100:
                break
        c.close()
        self.assertEqual(sorted(got), sorted(b"v%d" % i for i in range(100)))

    def test_kafka_python_over_ssl(self):
        from kafka import KafkaConsumer, KafkaProducer
        topic = f"kp-tls-{uuid.uuid4().hex[:8]}"
        ssl = {"security_protocol": "SSL", "ssl_cafile": self.pki["ca"]}
        p = KafkaProducer(bootstrap_servers=self.broker.ssl_bootstrap, **ssl)
        for i in range(50):
            p.send(topic, b"kp%d" % i)
        p.flush(30)
        p.close()
        c = KafkaConsumer(topic, bootstrap_servers=self.broker.ssl_bootstrap, auto_offset_reset="earliest",
                          consumer_timeout_ms=10000, **ssl)
        got = [m.value for m in c]
        c.close()
        self.assertEqual(sorted(got), sorted(b"kp%d" % i for i in range(50)))

    def test_kafkajs_over_ssl(self):
        if not os.path.isdir(os.path.join(HERE, "kafkajs", "node_modules", "kafkajs")):
            raise RuntimeError("kafkajs is not installed: run scripts/install-deps.sh")
        topic = f"kjs-tls-{uuid.uuid4().hex[:8]}"
        r = subprocess.run(["node", os.path.join(HERE, "kafkajs", "tls.js"), self.broker.ssl_bootstrap, topic, "80",
                            self.pki["ca"]], capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(json.loads(r.stdout.decode().strip().splitlines()[-1])["consumed"], 80)

    def test_plaintext_client_on_the_tls_port_reaches_nothing(self):
        self.assertIsNone(raw_request(self.broker.ssl_port, 18, 0))  # ApiVersions in the clear: closed
        from confluent_kafka.admin import AdminClient
        admin = AdminClient({"bootstrap.servers": self.broker.ssl_bootstrap, "socket.timeout.ms": 3000})
        with self.assertRaises(Exception):
            admin.list_topics(timeout=3)
        # The plaintext listener still serves, and the broker is up.
        self.assertIsNotNone(raw_request(self.broker.port, 18, 0))
        self.assertTrue(self.broker.alive())

    def test_a_client_that_never_handshakes_is_closed(self):
        with socket.create_connection(("127.0.0.1", self.broker.ssl_port), timeout=10) as s:
            s.settimeout(10)
            start = time.time()
            self.assertEqual(s.recv(1), b"")  # closed after request.read.timeout.ms (1.5 s)
            self.assertLess(time.time() - start, 8)
        self.assertIn(b"no TLS handshake within", self.broker.logged())

    def test_tls_1_2_and_1_3_are_served(self):
        for version in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
            ctx = ssl.create_default_context(cafile=self.pki["ca"])
            ctx.minimum_version = ctx.maximum_version = version
            with socket.create_connection(("127.0.0.1", self.broker.ssl_port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    self.assertEqual(s.version(), {ssl.TLSVersion.TLSv1_2: "TLSv1.2", ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version])
        ctx = ssl.create_default_context(cafile=self.pki["ca"])
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        with socket.create_connection(("127.0.0.1", self.broker.ssl_port), timeout=10) as raw:
            with self.assertRaises(ssl.SSLError):
                ctx.wrap_socket(raw, server_hostname="localhost")

    def test_a_client_that_does_not_trust_the_ca_fails(self):
        from confluent_kafka.admin import AdminClient
        other = os.path.join(self.dir, "other-ca.pem")
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other-ca.key", "-out", "other-ca.pem",
                "-days", "2", "-subj", "/CN=someone-else", cwd=self.dir)
        admin = AdminClient({"bootstrap.servers": self.broker.ssl_bootstrap, "security.protocol": "ssl",
                             "ssl.ca.location": other, "socket.timeout.ms": 3000})
        with self.assertRaises(Exception):
            admin.list_topics(timeout=3)


class MutualTlsTest(TlsCase):
    client_auth = "required"

    def test_client_with_a_certificate_is_served(self):
        from confluent_kafka import Producer
        p = Producer({"bootstrap.servers": self.broker.ssl_bootstrap, "security.protocol": "ssl",
                      "ssl.ca.location": self.pki["ca"], "ssl.certificate.location": self.pki["client_cert"],
                      "ssl.key.location": self.pki["client_key"]})
        p.produce("mtls", b"hello")
        self.assertEqual(p.flush(30), 0)
        r = subprocess.run(["node", os.path.join(HERE, "kafkajs", "tls.js"), self.broker.ssl_bootstrap, "mtls-kjs", "10",
                            self.pki["ca"], self.pki["client_cert"], self.pki["client_key"]], capture_output=True,
                           timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())

    def test_kcat_and_kafka_python_with_a_certificate(self):
        # kcat: produce three records, then read them back.
        tls = ["-X", "security.protocol=ssl", "-X", f"ssl.ca.location={self.pki['ca']}",
               "-X", f"ssl.certificate.location={self.pki['client_cert']}",
               "-X", f"ssl.key.location={self.pki['client_key']}"]
        r = subprocess.run(["kcat", "-P", "-b", self.broker.ssl_bootstrap, "-t", "mtls-kcat", *tls],
                           input=b"a\nb\nc\n", capture_output=True, timeout=60)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        r = subprocess.run(["kcat", "-C", "-b", self.broker.ssl_bootstrap, "-t", "mtls-kcat", "-o", "beginning", "-e",
                            "-q", *tls], capture_output=True, timeout=60)
        self.assertEqual(r.stdout.split(), [b"a", b"b", b"c"], r.stderr.decode())
        # kafka-python: the same with its own TLS.
        from kafka import KafkaConsumer, KafkaProducer
        ssl_args = dict(security_protocol="SSL", ssl_cafile=self.pki["ca"], ssl_certfile=self.pki["client_cert"],
                        ssl_keyfile=self.pki["client_key"])
        p = KafkaProducer(bootstrap_servers=self.broker.ssl_bootstrap, **ssl_args)
        for i in range(5):
            p.send("mtls-kp", f"v{i}".encode())
        p.flush(30)
        p.close()
        c = KafkaConsumer("mtls-kp", bootstrap_servers=self.broker.ssl_bootstrap, auto_offset_reset="earliest",
                          consumer_timeout_ms=5000, **ssl_args)
        self.assertEqual([m.value for m in c], [f"v{i}".encode() for i in range(5)])
        c.close()

    def test_client_without_a_certificate_is_refused(self):
        from confluent_kafka.admin import AdminClient
        admin = AdminClient({"bootstrap.servers": self.broker.ssl_bootstrap, "security.protocol": "ssl",
                             "ssl.ca.location": self.pki["ca"], "socket.timeout.ms": 3000})
        with self.assertRaises(Exception):
            admin.list_topics(timeout=3)
        self.assertIn(b"TLS handshake failed", self.broker.logged())


class MutualTlsPrincipalTest(unittest.TestCase):
    """With mutual TLS the certificate's subject is the principal the ACLs
    name: User:CN=alice,O=rivulet may write the one topic allowed to it."""

    def test_acls_apply_to_the_certificate_subject(self):
        from confluent_kafka import KafkaError, Producer
        d = tempfile.mkdtemp(prefix="rivulet-mtls-acl-")
        pki = make_pki(d)
        broker = TlsBroker(pki, client_auth="required", **{
            "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer"})
        try:
            principal = "User:CN=alice,O=rivulet"
            r = subprocess.run([RIVULET, "acls", "--data-dir", broker.data_dir, "--add", "--allow-principal", principal,
                                "--producer", "--topic", "alices"], capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr.decode())
            broker.start()
            conf = {"bootstrap.servers": broker.ssl_bootstrap, "security.protocol": "ssl",
                    "ssl.ca.location": pki["ca"], "ssl.certificate.location": pki["client_cert"],
                    "ssl.key.location": pki["client_key"]}
            outcome = {}
            p = Producer(conf)
            for topic in ("alices", "others"):
                p.produce(topic, b"x", on_delivery=lambda err, msg: outcome.__setitem__(msg.topic(), err))
            p.flush(30)
            self.assertIsNone(outcome["alices"])
            self.assertIsNotNone(outcome["others"])
            self.assertEqual(outcome["others"].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED)
        finally:
            broker.stop()
            broker.cleanup()
            shutil.rmtree(d, ignore_errors=True)


class EnabledProtocolsTest(unittest.TestCase):
    def test_only_tls_1_3(self):
        d = tempfile.mkdtemp(prefix="rivulet-tls13-")
        pki = make_pki(d)
        broker = TlsBroker(pki, **{"ssl.enabled.protocols": "TLSv1.3"}).start()
        try:
            ctx = ssl.create_default_context(cafile=pki["ca"])
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            with socket.create_connection(("127.0.0.1", broker.ssl_port), timeout=10) as raw:
                with self.assertRaises(ssl.SSLError):
                    ctx.wrap_socket(raw, server_hostname="localhost")
            ctx = ssl.create_default_context(cafile=pki["ca"])
            with socket.create_connection(("127.0.0.1", broker.ssl_port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as s:
                    self.assertEqual(s.version(), "TLSv1.3")
        finally:
            self.assertEqual(broker.stop(), 0)
            broker.cleanup()
            shutil.rmtree(d, ignore_errors=True)


class RefusedConfigTest(unittest.TestCase):
    def start_fails(self, config, needle):
        broker = Broker(config=config)
        offset = os.path.getsize(broker.log_path) if os.path.exists(broker.log_path) else 0
        with self.assertRaises(RuntimeError):
            broker.start(timeout=5)
        broker.cleanup()
        with open(broker.log_path, "rb") as f:
            f.seek(offset)
            self.assertIn(needle, f.read())

    def test_ssl_listener_without_keystore(self):
        self.start_fails({"listeners": f"SSL://127.0.0.1:{free_port()}"}, b"ssl.keystore.location")

    def test_client_auth_without_a_truststore(self):
        d = tempfile.mkdtemp(prefix="rivulet-tls-cfg-")
        try:
            pki = make_pki(d)
            self.start_fails({"listeners": f"SSL://127.0.0.1:{free_port()}", "ssl.keystore.location": pki["keystore"],
                              "ssl.client.auth": "requested"}, b"needs ssl.truststore.location")
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_keystores_that_cannot_be_read(self):
        d = tempfile.mkdtemp(prefix="rivulet-tls-cfg-")
        try:
            pki = make_pki(d)
            listener = {"listeners": f"SSL://127.0.0.1:{free_port()}"}
            # A file that is not there.
            self.start_fails(dict(listener, **{"ssl.keystore.location": os.path.join(d, "missing.pem")}),
                             b"cannot read the certificate chain of ssl.keystore.location")
            # Certificates without the private key.
            certs_only = os.path.join(d, "certs-only.pem")
            with open(certs_only, "wb") as out, open(os.path.join(d, "server.crt"), "rb") as f:
                out.write(f.read())
            self.start_fails(dict(listener, **{"ssl.keystore.location": certs_only}),
                             b"cannot read the private key of ssl.keystore.location")
            # An encrypted key with the wrong ssl.key.password (and with none).
            enc = os.path.join(d, "encrypted.pem")
            subprocess.run(["openssl", "pkey", "-in", os.path.join(d, "server.key"), "-aes256", "-passout",
                            "pass:right", "-out", os.path.join(d, "enc.key")], check=True, capture_output=True)
            with open(enc, "wb") as out:
                for part in ("enc.key", "server.crt", "ca.pem"):
                    with open(os.path.join(d, part), "rb") as f:
                        out.write(f.read())
            self.start_fails(dict(listener, **{"ssl.keystore.location": enc, "ssl.key.password": "wrong"}),
                             b"ssl.key.password")
            # The right password works: the broker starts.
            ok = Broker()
            ok.config = {"listeners": f"SSL://127.0.0.1:{ok.port}", "ssl.keystore.location": enc,
                         "ssl.key.password": "right"}
            try:
                ok.start(timeout=10)
                self.assertTrue(ok.alive())
            finally:
                ok.cleanup()
        finally:
            shutil.rmtree(d, ignore_errors=True)

    def test_advertised_listener_of_no_listener(self):
        self.start_fails({"advertised.listeners": "SSL://localhost:9093"}, b"no listener named SSL")

    def test_listener_without_a_protocol(self):
        self.start_fails({"listeners": f"INTERNAL://127.0.0.1:{free_port()}"}, b"listener.security.protocol.map")


if __name__ == "__main__":
    unittest.main(verbosity=2)
