"""SASL listeners: a broker with PLAINTEXT, SASL_PLAINTEXT and SASL_SSL
listeners at once and users made with `rivulet users` before it starts.

The real clients (kcat, confluent-kafka, kafka-python with SaslHandshake v0
and bare tokens, KafkaJS) produce and read back over SASL_SSL with
SCRAM-SHA-512, and over SASL_PLAINTEXT with PLAIN and SCRAM-SHA-256; wrong
passwords and unknown users fail for each of them, write nothing, and are
logged with user and address but never the password; clients without SASL
or TLS reach nothing. Raw frames check what is answered before
authentication (ApiVersions, SaslHandshake, SaslAuthenticate and nothing
else), a SCRAM-SHA-256 exchange written here from RFC 5802, the growing
delay after failures from one address, sasl.server.max.receive.size, and
garbage that must cost only its own connection. `rivulet users` manages
users through the running broker, and configurations that cannot work are
refused at start with one line.
"""
import base64
import hashlib
import hmac
import json
import os
import random
import re
import shutil
import socket
import ssl
import struct
import subprocess
import tempfile
import threading
import time
import unittest
import uuid

from broker_fixture import (rss_bytes, RIVULET, Broker, WireReader, add_user, free_port, make_pki, read_response,
                            recv_exact, string, uvarint)

HERE = os.path.dirname(os.path.abspath(__file__))

MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
ALICE_PW = "alice-Pw-7c1e9a"
ADMIN_PW = "admin-Pw-3b8f52"

# API keys
METADATA, API_VERSIONS, SASL_HANDSHAKE, SASL_AUTHENTICATE = 3, 18, 17, 36
DESCRIBE_USER_SCRAM, ALTER_USER_SCRAM = 50, 51
# Error codes
ILLEGAL_SASL_STATE, UNSUPPORTED_SASL_MECHANISM, SASL_AUTHENTICATION_FAILED = 34, 33, 58


def rss_kib(pid):
    return rss_bytes(pid) // 1024


def free_ports(n):
    ports = []
    while len(ports) < n:
        p = free_port()
        if p not in ports:
            ports.append(p)
    return ports


def kcat(*args, input=None, timeout=60):
    return subprocess.run(["kcat", *args], input=input, capture_output=True, timeout=timeout)


def rng_bytes(n, seed=7):
    return random.Random(seed).randbytes(n)


# ---- raw frames ----

class RawConn:
    """One connection to a listener (under TLS when `ca` is given) that
    sends request frames and reads their responses."""

    def __init__(self, port, ca=None, timeout=10):
        s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        if ca:
            ctx = ssl.create_default_context(cafile=ca)
            s = ctx.wrap_socket(s, server_hostname="localhost")
        self.s = s
        self.correlation = 100

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.s.close()

    def send(self, data):
        """False when the broker has closed the connection already."""
        try:
            self.s.sendall(data)
            return True
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            return False

    def send_frame(self, payload):
        return self.send(struct.pack(">i", len(payload)) + payload)

    def read_frame(self):
        """(correlation id, rest) or None when the connection closed."""
        try:
            return read_response(self.s)
        except (ConnectionResetError, ssl.SSLError):
            return None

    def request(self, key, version, body=b"", flexible=False):
        """A WireReader on the response body (after the header), or None when
        the connection closed instead."""
        self.correlation += 1
        header = struct.pack(">hhih", key, version, self.correlation, 3) + b"raw"
        if flexible:
            header += b"\x00"  # request header v2: an empty tagged-field section
        if not self.send_frame(header + body):
            return None
        got = self.read_frame()
        if got is None:
            return None
        correlation, rest = got
        assert correlation == self.correlation, (correlation, self.correlation)
        r = WireReader(rest)
        if flexible:
            assert r.uvarint() == 0  # response header v1: no tagged fields
        return r

    def closed(self, timeout=5):
        """Whether the broker closes the connection within `timeout` (no
        more bytes come)."""
        self.s.settimeout(timeout)
        try:
            while True:
                if not self.s.recv(4096):
                    return True
        except (ConnectionResetError, BrokenPipeError, ssl.SSLError):
            return True
        except socket.timeout:
            return False


def api_versions(conn):
    """ApiVersions v0: {api key: (min, max)}, or None if closed."""
    r = conn.request(API_VERSIONS, 0)
    if r is None:
        return None
    assert r.i16() == 0
    return {key: (lo, hi) for key, lo, hi in ((r.i16(), r.i16(), r.i16()) for _ in range(r.i32()))}


def handshake(conn, mechanism, version=1):
    """SaslHandshake: (error code, enabled mechanisms), or None if closed."""
    r = conn.request(SASL_HANDSHAKE, version, string(mechanism))
    if r is None:
        return None
    error = r.i16()
    mechanisms = [r.string() for _ in range(r.i32())]
    assert r.done()
    return error, mechanisms


def authenticate(conn, token, version=2):
    """SaslAuthenticate (v2: flexible): (error code, error message, auth
    bytes), or None if closed."""
    if version >= 2:
        body = uvarint(len(token) + 1) + token + b"\x00"
    else:
        body = struct.pack(">i", len(token)) + token
    r = conn.request(SASL_AUTHENTICATE, version, body, flexible=version >= 2)
    if r is None:
        return None
    error = r.i16()
    message = r.compact() if version >= 2 else r.string()
    if isinstance(message, bytes):
        message = message.decode()
    auth = r.compact() if version >= 2 else r.bytes()
    if version >= 1:
        r.i64()  # session_lifetime_ms
    if version >= 2:
        assert r.uvarint() == 0
    assert r.done()
    return error, message, auth


def metadata_brokers(conn):
    """Metadata v1 for all topics: [(host, port)] of its brokers, or None
    if the connection closed instead."""
    r = conn.request(METADATA, 1, struct.pack(">i", -1))
    if r is None:
        return None
    brokers = []
    for _ in range(r.i32()):
        r.i32()
        host, port = r.string(), r.i32()
        r.string()
        brokers.append((host, port))
    return brokers


class ScramClient:
    """The client side of RFC 5802 (no channel binding)."""

    def __init__(self, mechanism, user, password):
        self.hash = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[mechanism]
        self.user = user
        self.password = password
        self.nonce = base64.b64encode(os.urandom(18)).decode()
        self.bare = f"n={user},r={self.nonce}"
        self.server_signature = None

    def first(self):
        return ("n,," + self.bare).encode()

    def final(self, server_first):
        text = server_first.decode()
        attrs = dict(kv.split("=", 1) for kv in text.split(","))
        nonce, salt, iterations = attrs["r"], base64.b64decode(attrs["s"]), int(attrs["i"])
        if not nonce.startswith(self.nonce) or len(nonce) == len(self.nonce):
            raise AssertionError(f"server nonce {nonce!r} does not extend the client's {self.nonce!r}")
        salted = hashlib.pbkdf2_hmac(self.hash, self.password.encode(), salt, iterations)
        mac = lambda key, msg: hmac.new(key, msg, self.hash).digest()
        client_key = mac(salted, b"Client Key")
        stored_key = hashlib.new(self.hash, client_key).digest()
        without_proof = f"c={base64.b64encode(b'n,,').decode()},r={nonce}"
        auth_message = f"{self.bare},{text},{without_proof}".encode()
        proof = bytes(a ^ b for a, b in zip(client_key, mac(stored_key, auth_message)))
        self.server_signature = mac(mac(salted, b"Server Key"), auth_message)
        return f"{without_proof},p={base64.b64encode(proof).decode()}".encode()


def scram_login(conn, mechanism, user, password, version=2):
    """Handshake v1 and a SCRAM exchange over SaslAuthenticate. Returns the
    final SaslAuthenticate's (error, message, auth bytes) and the client."""
    assert handshake(conn, mechanism) == (0, MECHANISMS)
    client = ScramClient(mechanism, user, password)
    error, message, server_first = authenticate(conn, client.first(), version)
    assert error == 0, (error, message)
    return authenticate(conn, client.final(server_first), version), client


# ---- the broker ----

class SaslBroker(Broker):
    """PLAINTEXT on self.port, SASL_PLAINTEXT on self.sasl_port and (with a
    PKI) SASL_SSL on self.sasl_ssl_port; `users` ({name: (password,
    mechanisms)}) made before it starts."""

    def __init__(self, users, pki=None, **extra):
        super().__init__()
        ports = free_ports(2)
        while self.port in ports:
            ports = free_ports(2)
        self.sasl_port, self.sasl_ssl_port = ports
        self.log_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        listeners = f"PLAINTEXT://127.0.0.1:{self.port},SASL_PLAINTEXT://127.0.0.1:{self.sasl_port}"
        self.config = {
            "sasl.enabled.mechanisms": ",".join(MECHANISMS),
            "group.initial.rebalance.delay.ms": "0",
        }
        if pki:
            listeners += f",SASL_SSL://127.0.0.1:{self.sasl_ssl_port}"
            self.config.update({"ssl.keystore.type": "PEM", "ssl.keystore.location": pki["keystore"]})
        self.config["listeners"] = listeners
        self.config.update(extra)
        for name, (password, mechanisms) in users.items():
            add_user(self.data_dir, name, password, mechanisms)

    def log_size(self):
        return os.path.getsize(self.log_path)

    def logged(self, since=None):
        with open(self.log_path, "rb") as f:
            f.seek(self.log_offset if since is None else since)
            return f.read().decode(errors="replace")

    def wait_logged(self, pattern, since, timeout=5):
        """The log since `since` once it matches `pattern` (regex)."""
        deadline = time.time() + timeout
        while True:
            text = self.logged(since)
            if re.search(pattern, text) or time.time() > deadline:
                return text
            time.sleep(0.05)


class SaslCase(unittest.TestCase):
    """A PKI and one SaslBroker for the class; alice has both SCRAM
    credentials, admin only SCRAM-SHA-512. No delay after failed
    authentications here (DelayTest has its own broker for that): the
    failures of one test must not slow down the next."""
    extra = {"connection.failed.authentication.delay.ms": "0"}

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rivulet-sasl-")
        cls.pki = make_pki(cls.dir)
        users = {"alice": (ALICE_PW, ()), "admin": (ADMIN_PW, ("SCRAM-SHA-512",))}
        cls.broker = SaslBroker(users, cls.pki, **cls.extra).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert code == 0, f"broker exited with {code}"

    # -- clients' settings --

    def port_of(self, protocol):
        return {"SASL_SSL": self.broker.sasl_ssl_port, "SASL_PLAINTEXT": self.broker.sasl_port,
                "PLAINTEXT": self.broker.port}[protocol]

    def kcat_sasl(self, protocol, mechanism, user, password):
        args = ["-b", f"127.0.0.1:{self.port_of(protocol)}", "-X", f"security.protocol={protocol}",
                "-X", f"sasl.mechanism={mechanism}", "-X", f"sasl.username={user}", "-X", f"sasl.password={password}"]
        if protocol == "SASL_SSL":
            args += ["-X", f"ssl.ca.location={self.pki['ca']}"]
        return args

    def confluent_conf(self, protocol, mechanism, user, password, **extra):
        conf = {"bootstrap.servers": f"127.0.0.1:{self.port_of(protocol)}", "security.protocol": protocol,
                "sasl.mechanism": mechanism, "sasl.username": user, "sasl.password": password}
        if protocol == "SASL_SSL":
            conf["ssl.ca.location"] = self.pki["ca"]
        conf.update(extra)
        return conf

    def kafka_python_conf(self, protocol, mechanism, user, password):
        conf = {"bootstrap_servers": f"127.0.0.1:{self.port_of(protocol)}", "security_protocol": protocol,
                "sasl_mechanism": mechanism, "sasl_plain_username": user, "sasl_plain_password": password}
        if protocol == "SASL_SSL":
            conf["ssl_cafile"] = self.pki["ca"]
        return conf

    # -- what the PLAINTEXT listener sees --

    def topics(self):
        r = kcat("-b", self.broker.bootstrap, "-L", "-J", "-m", "10")
        self.assertEqual(r.returncode, 0, r.stderr)
        return {t["topic"] for t in json.loads(r.stdout)["topics"]}

    def records(self, topic):
        r = kcat("-b", self.broker.bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        return r.stdout.splitlines()

    # -- round trips --

    def kcat_roundtrip(self, protocol, mechanism, user, password, n=100):
        topic = f"kcat-{mechanism.lower()}-{uuid.uuid4().hex[:8]}"
        args = self.kcat_sasl(protocol, mechanism, user, password)
        lines = [b"kcat-%d" % i for i in range(n)]
        r = kcat(*args, "-P", "-t", topic, input=b"\n".join(lines) + b"\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = kcat(*args, "-C", "-t", topic, "-o", "beginning", "-e", "-q")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(sorted(r.stdout.splitlines()), sorted(lines))
        self.assertEqual(sorted(self.records(topic)), sorted(lines))  # what the log holds, seen without SASL

    def confluent_roundtrip(self, protocol, mechanism, user, password, n=100):
        from confluent_kafka import Consumer, Producer
        topic = f"ck-{mechanism.lower()}-{uuid.uuid4().hex[:8]}"
        p = Producer(self.confluent_conf(protocol, mechanism, user, password))
        values = [b"ck-%d" % i for i in range(n)]
        for v in values:
            p.produce(topic, value=v)
        self.assertEqual(p.flush(30), 0)
        c = Consumer(self.confluent_conf(protocol, mechanism, user, password, **{
            "group.id": f"g-{topic}", "auto.offset.reset": "earliest"}))
        c.subscribe([topic])
        got = []
        deadline = time.time() + 30
        while len(got) < n and time.time() < deadline:
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                got.append(m.value())
        c.close()
        self.assertEqual(sorted(got), sorted(values))

    def kafka_python_roundtrip(self, protocol, mechanism, user, password, n=50):
        from kafka import KafkaConsumer, KafkaProducer
        topic = f"kp-{mechanism.lower()}-{uuid.uuid4().hex[:8]}"
        conf = self.kafka_python_conf(protocol, mechanism, user, password)
        p = KafkaProducer(**conf)
        values = [b"kp-%d" % i for i in range(n)]
        for v in values:
            p.send(topic, v)
        p.flush(30)
        p.close()
        c = KafkaConsumer(topic, auto_offset_reset="earliest", **conf)
        got = []
        deadline = time.time() + 30
        while len(got) < n and time.time() < deadline:
            for records in c.poll(timeout_ms=500).values():
                got.extend(m.value for m in records)
        c.close()
        self.assertEqual(sorted(got), sorted(values))

    def kafkajs_roundtrip(self, protocol, mechanism, user, password, n=60):
        if not os.path.isdir(os.path.join(HERE, "kafkajs", "node_modules", "kafkajs")):
            raise RuntimeError("kafkajs is not installed: run scripts/install-deps.sh")
        topic = f"kjs-{mechanism.lower()}-{uuid.uuid4().hex[:8]}"
        args = ["node", os.path.join(HERE, "kafkajs", "sasl.js"), f"127.0.0.1:{self.port_of(protocol)}", topic,
                str(n), mechanism, user, password]
        if protocol == "SASL_SSL":
            args.append(self.pki["ca"])
        r = subprocess.run(args, capture_output=True, timeout=120)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        out = json.loads(r.stdout.decode().strip().splitlines()[-1])
        self.assertEqual(out["consumed"], n)
        self.assertEqual(sorted(out["values"]), sorted(f"sasl-{i}" for i in range(n)))


class SaslClientsTest(SaslCase):
    """1 and 2: the real clients produce and read back over SASL."""

    def test_kcat_scram_sha_512_over_sasl_ssl(self):
        self.kcat_roundtrip("SASL_SSL", "SCRAM-SHA-512", "alice", ALICE_PW)

    def test_confluent_kafka_scram_sha_512_over_sasl_ssl(self):
        self.confluent_roundtrip("SASL_SSL", "SCRAM-SHA-512", "alice", ALICE_PW)

    def test_kafka_python_scram_sha_512_over_sasl_ssl(self):
        self.kafka_python_roundtrip("SASL_SSL", "SCRAM-SHA-512", "alice", ALICE_PW)

    def test_kafkajs_scram_sha_512_over_sasl_ssl(self):
        self.kafkajs_roundtrip("SASL_SSL", "SCRAM-SHA-512", "alice", ALICE_PW)

    def test_kafkajs_plain_over_sasl_plaintext(self):
        self.kafkajs_roundtrip("SASL_PLAINTEXT", "PLAIN", "alice", ALICE_PW)

    def test_confluent_kafka_plain_and_scram_sha_256_over_sasl_plaintext(self):
        self.confluent_roundtrip("SASL_PLAINTEXT", "PLAIN", "alice", ALICE_PW)
        self.confluent_roundtrip("SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", ALICE_PW)

    def test_kafka_python_plain_and_scram_sha_256_over_sasl_plaintext(self):
        # kafka-python 2.0.2 sends SaslHandshake v0, then bare tokens.
        self.kafka_python_roundtrip("SASL_PLAINTEXT", "PLAIN", "alice", ALICE_PW)
        self.kafka_python_roundtrip("SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", ALICE_PW)

    def test_metadata_names_the_listener_the_client_came_through(self):
        r = kcat(*self.kcat_sasl("SASL_SSL", "SCRAM-SHA-512", "alice", ALICE_PW), "-L")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"broker 0 at 127.0.0.1:{self.broker.sasl_ssl_port}".encode(), r.stdout)
        r = kcat(*self.kcat_sasl("SASL_PLAINTEXT", "PLAIN", "alice", ALICE_PW), "-L")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(f"broker 0 at 127.0.0.1:{self.broker.sasl_port}".encode(), r.stdout)


class SaslFailureTest(SaslCase):
    """3: wrong passwords and unknown users fail for each client, write
    nothing, and are logged naming user and address, without the password.
    4: clients without SASL, or without TLS, reach nothing."""

    # (protocol, mechanism) each failure is tried with.
    WAYS = (("SASL_SSL", "SCRAM-SHA-512"), ("SASL_PLAINTEXT", "PLAIN"), ("SASL_PLAINTEXT", "SCRAM-SHA-256"))

    def attempts(self, attempt):
        """Runs attempt(protocol, mechanism, user, password, topic) for a
        wrong password (into an existing topic) and an unknown user (into a
        topic that does not exist), each way; checks that nothing was
        written and what the broker logged."""
        guarded = f"guarded-{uuid.uuid4().hex[:8]}"
        r = kcat("-b", self.broker.bootstrap, "-P", "-t", guarded, input=b"one\ntwo\nthree\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(self.records(guarded), [b"one", b"two", b"three"])
        for protocol, mechanism in self.WAYS:
            for user, password, topic, reason in (
                    ("alice", f"wrong-{uuid.uuid4().hex[:10]}", guarded, "wrong password"),
                    (f"nobody-{uuid.uuid4().hex[:6]}", f"pw-{uuid.uuid4().hex[:10]}",
                     f"never-{uuid.uuid4().hex[:8]}", "unknown user")):
                with self.subTest(protocol=protocol, mechanism=mechanism, reason=reason):
                    since = self.broker.log_size()
                    attempt(protocol, mechanism, user, password, topic)
                    line = (rf"authentication failed from 127\.0\.0\.1:\d+: user '{re.escape(user)}', "
                            rf"{mechanism}: {reason}")
                    log = self.broker.wait_logged(line, since)
                    self.assertRegex(log, line)
                    self.assertNotIn(password, log)
                    self.assertNotIn(ALICE_PW, log)
                    if topic == guarded:
                        self.assertEqual(self.records(guarded), [b"one", b"two", b"three"])
                    else:
                        self.assertNotIn(topic, self.topics())
        self.assertNotIn(ALICE_PW, self.broker.logged(0))

    def test_kcat_wrong_password_and_unknown_user(self):
        def attempt(protocol, mechanism, user, password, topic):
            r = kcat(*self.kcat_sasl(protocol, mechanism, user, password), "-X", "message.timeout.ms=5000",
                     "-P", "-t", topic, input=b"must-not-arrive\n", timeout=30)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn(b"SASL authentication error", r.stderr)
            self.assertIn(b"Authentication failed", r.stderr)
        self.attempts(attempt)

    def test_confluent_kafka_wrong_password_and_unknown_user(self):
        from confluent_kafka import KafkaError, Producer

        def attempt(protocol, mechanism, user, password, topic):
            errors, reports = [], []
            p = Producer(self.confluent_conf(protocol, mechanism, user, password, **{
                "message.timeout.ms": 5000, "error_cb": errors.append}))
            p.produce(topic, value=b"must-not-arrive", on_delivery=lambda err, msg: reports.append(err))
            deadline = time.time() + 15
            while time.time() < deadline and not any(e.code() == KafkaError._AUTHENTICATION for e in errors):
                p.poll(0.1)
            p.purge()
            p.flush(5)
            self.assertIn(KafkaError._AUTHENTICATION, [e.code() for e in errors])
            self.assertTrue(any("Authentication failed" in e.str() for e in errors), [e.str() for e in errors])
            self.assertEqual(len(reports), 1)
            self.assertIsNotNone(reports[0])  # not delivered
        self.attempts(attempt)

    def test_kafka_python_wrong_password_and_unknown_user(self):
        from kafka import KafkaProducer
        from kafka.errors import NoBrokersAvailable

        def attempt(protocol, mechanism, user, password, topic):
            # The v0 flow has no error code: the broker closes the connection
            # (the log line checked by attempts() says why).
            with self.assertRaises(NoBrokersAvailable):
                p = KafkaProducer(api_version_auto_timeout_ms=3000,
                                  **self.kafka_python_conf(protocol, mechanism, user, password))
                try:
                    p.send(topic, b"must-not-arrive").get(timeout=10)
                finally:
                    p.close(timeout=1)
        self.attempts(attempt)

    def test_a_client_without_tls_on_the_sasl_ssl_port_reaches_nothing(self):
        port = self.broker.sasl_ssl_port
        with RawConn(port) as conn:
            self.assertIsNone(api_versions(conn))  # ApiVersions in the clear: closed
        topic = f"cleartext-{uuid.uuid4().hex[:8]}"
        r = kcat("-b", f"127.0.0.1:{port}", "-L", "-m", "3", timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn(b"broker 0 at", r.stdout)
        r = kcat("-b", f"127.0.0.1:{port}", "-X", "security.protocol=sasl_plaintext", "-X", "sasl.mechanism=PLAIN",
                 "-X", "sasl.username=alice", "-X", f"sasl.password={ALICE_PW}", "-X", "message.timeout.ms=3000",
                 "-P", "-t", topic, input=b"x\n", timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn(topic, self.topics())
        self.assertTrue(self.broker.alive())

    def test_a_client_without_sasl_on_the_sasl_plaintext_port_reaches_nothing(self):
        port = self.broker.sasl_port
        since = self.broker.log_size()
        r = kcat("-b", f"127.0.0.1:{port}", "-L", "-m", "3", timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"Failed to acquire metadata", r.stderr)
        self.assertNotIn(b"broker 0 at", r.stdout)
        self.assertIn("Metadata before SASL authentication", self.broker.wait_logged("before SASL", since))
        topic = f"nosasl-{uuid.uuid4().hex[:8]}"
        r = kcat("-b", f"127.0.0.1:{port}", "-X", "message.timeout.ms=3000", "-P", "-t", topic, input=b"x\n",
                 timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn(topic, self.topics())
        self.assertTrue(self.broker.alive())


class RawSaslTest(SaslCase):
    """5: raw frames before, during and after authentication."""

    def test_metadata_before_authentication_closes_the_connection(self):
        for port, ca in ((self.broker.sasl_port, None), (self.broker.sasl_ssl_port, self.pki["ca"])):
            with self.subTest(port=port), RawConn(port, ca) as conn:
                self.assertIsNone(metadata_brokers(conn))
        with RawConn(self.broker.port) as conn:
            self.assertEqual(metadata_brokers(conn), [("127.0.0.1", self.broker.port)])  # PLAINTEXT: no SASL

    def test_api_versions_before_authentication(self):
        for port, ca in ((self.broker.sasl_port, None), (self.broker.sasl_ssl_port, self.pki["ca"])):
            with self.subTest(port=port), RawConn(port, ca) as conn:
                apis = api_versions(conn)
                self.assertIsNotNone(apis)
                self.assertEqual(apis[SASL_HANDSHAKE], (0, 1))
                self.assertEqual(apis[SASL_AUTHENTICATE], (0, 2))
                self.assertIn(DESCRIBE_USER_SCRAM, apis)
                self.assertIn(ALTER_USER_SCRAM, apis)
                self.assertIn(METADATA, apis)
                # Answered, and still only the SASL requests are.
                self.assertIsNotNone(api_versions(conn))
                self.assertIsNone(metadata_brokers(conn))

    def test_handshake_with_a_mechanism_not_enabled(self):
        with RawConn(self.broker.sasl_port) as conn:
            self.assertEqual(handshake(conn, "GSSAPI"), (UNSUPPORTED_SASL_MECHANISM, MECHANISMS))
            self.assertTrue(conn.closed())

    def test_handshake_on_the_plaintext_listener(self):
        with RawConn(self.broker.port) as conn:
            self.assertEqual(handshake(conn, "PLAIN")[0], ILLEGAL_SASL_STATE)

    def test_scram_sha_256_exchange_then_metadata(self):
        for port, ca in ((self.broker.sasl_port, None), (self.broker.sasl_ssl_port, self.pki["ca"])):
            with self.subTest(port=port), RawConn(port, ca) as conn:
                (error, message, server_final), client = scram_login(conn, "SCRAM-SHA-256", "alice", ALICE_PW)
                self.assertEqual(error, 0, message)
                self.assertEqual(server_final, b"v=" + base64.b64encode(client.server_signature))
                self.assertEqual(metadata_brokers(conn), [("127.0.0.1", port)])
                # A second handshake once authenticated is refused.
                self.assertEqual(handshake(conn, "PLAIN")[0], ILLEGAL_SASL_STATE)

    def test_wrong_proof_fails_and_closes(self):
        with RawConn(self.broker.sasl_port) as conn:
            self.assertEqual(handshake(conn, "SCRAM-SHA-256"), (0, MECHANISMS))
            client = ScramClient("SCRAM-SHA-256", "alice", ALICE_PW)
            error, message, server_first = authenticate(conn, client.first())
            self.assertEqual(error, 0, message)
            final = client.final(server_first)
            at = final.rindex(b",p=") + 3
            proof = bytearray(base64.b64decode(final[at:]))
            proof[0] ^= 1
            error, message, auth = authenticate(conn, final[:at] + base64.b64encode(bytes(proof)))
            self.assertEqual(error, SASL_AUTHENTICATION_FAILED)
            self.assertIn("SCRAM-SHA-256", message)
            self.assertTrue(conn.closed())

    def test_saslhandshake_v0_then_bare_tokens(self):
        # kafka-python's flow, by hand: PLAIN, an empty frame back.
        with RawConn(self.broker.sasl_port) as conn:
            self.assertEqual(handshake(conn, "PLAIN", version=0), (0, MECHANISMS))
            self.assertTrue(conn.send_frame(b"\0alice\0" + ALICE_PW.encode()))
            self.assertEqual(recv_exact(conn.s, 4), b"\0\0\0\0")
            self.assertEqual(metadata_brokers(conn), [("127.0.0.1", self.broker.sasl_port)])
        # SCRAM-SHA-512: the server's messages come back as bare frames.
        with RawConn(self.broker.sasl_port) as conn:
            self.assertEqual(handshake(conn, "SCRAM-SHA-512", version=0), (0, MECHANISMS))
            client = ScramClient("SCRAM-SHA-512", "alice", ALICE_PW)
            self.assertTrue(conn.send_frame(client.first()))
            server_first = self.bare_frame(conn)
            self.assertTrue(conn.send_frame(client.final(server_first)))
            self.assertEqual(self.bare_frame(conn), b"v=" + base64.b64encode(client.server_signature))
            self.assertEqual(metadata_brokers(conn), [("127.0.0.1", self.broker.sasl_port)])
        # A wrong password: closed without an answer.
        with RawConn(self.broker.sasl_port) as conn:
            self.assertEqual(handshake(conn, "PLAIN", version=0), (0, MECHANISMS))
            self.assertTrue(conn.send_frame(b"\0alice\0not-the-password"))
            self.assertTrue(conn.closed())

    @staticmethod
    def bare_frame(conn):
        (n,) = struct.unpack(">i", recv_exact(conn.s, 4))
        return recv_exact(conn.s, n)


class GarbageTest(SaslCase):
    """9: garbage costs only its own connection."""

    def test_garbage_closes_only_its_connection(self):
        rng = random.Random(20240531)
        ca = self.pki["ca"]
        port = self.broker.sasl_ssl_port
        # An authenticated connection that must outlive the garbage.
        keeper = RawConn(port, ca)
        (error, message, _), _ = scram_login(keeper, "SCRAM-SHA-512", "alice", ALICE_PW)
        self.assertEqual(error, 0, message)
        try:
            # Random bytes right after the TLS handshake.
            with RawConn(port, ca) as conn:
                conn.send(rng.randbytes(512))
                self.assertTrue(conn.closed())
            # A frame of plausible size with random contents.
            with RawConn(port, ca) as conn:
                conn.send_frame(b"\x7f\x33" + rng.randbytes(62))
                self.assertTrue(conn.closed())
            # A malformed client-final token in the middle of SCRAM.
            for token in (rng.randbytes(96), b"c=biws,r=not-the-nonce,p=%%%not-base64%%%"):
                with RawConn(port, ca) as conn:
                    self.assertEqual(handshake(conn, "SCRAM-SHA-512"), (0, MECHANISMS))
                    client = ScramClient("SCRAM-SHA-512", "alice", ALICE_PW)
                    error, message, _ = authenticate(conn, client.first())
                    self.assertEqual(error, 0, message)
                    error, message, auth = authenticate(conn, token)
                    self.assertEqual(error, SASL_AUTHENTICATION_FAILED)
                    self.assertTrue(conn.closed())
            # A SaslAuthenticate whose body does not decode.
            with RawConn(port, ca) as conn:
                self.assertEqual(handshake(conn, "SCRAM-SHA-512"), (0, MECHANISMS))
                self.assertIsNone(conn.request(SASL_AUTHENTICATE, 2, b"\xff\xff\xff", flexible=True))
            # Garbage as a bare token (after SaslHandshake v0).
            with RawConn(port, ca) as conn:
                self.assertEqual(handshake(conn, "SCRAM-SHA-256", version=0), (0, MECHANISMS))
                conn.send_frame(rng.randbytes(200))
                self.assertTrue(conn.closed())
            # The authenticated connection still works, as does a new client.
            self.assertEqual(metadata_brokers(keeper), [("127.0.0.1", port)])
        finally:
            keeper.s.close()
        self.kcat_roundtrip("SASL_SSL", "SCRAM-SHA-512", "alice", ALICE_PW, n=20)
        self.assertTrue(self.broker.alive())


class UsersThroughTheBrokerTest(SaslCase):
    """8: `rivulet users --bootstrap-server --command-config` over SASL_SSL."""

    def command_config(self, user, password):
        path = os.path.join(self.dir, f"client-{user}-{uuid.uuid4().hex[:6]}.properties")
        with open(path, "w") as f:
            f.write("security.protocol=SASL_SSL\n"
                    "sasl.mechanism=SCRAM-SHA-512\n"
                    "sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required \\\n"
                    f"    username=\"{user}\" password=\"{password}\";\n"
                    f"ssl.truststore.location={self.pki['ca']}\n"
                    "ssl.truststore.type=PEM\n")
        return path

    def users(self, *args, config, password=None):
        return subprocess.run([RIVULET, "users", "--bootstrap-server", f"127.0.0.1:{self.broker.sasl_ssl_port}",
                               "--command-config", config, *args],
                              input=None if password is None else (password + "\n").encode(), capture_output=True,
                              timeout=60)

    def test_add_list_delete_bob(self):
        admin = self.command_config("admin", ADMIN_PW)
        bob_pw = f"bob-{uuid.uuid4().hex[:10]}"
        r = self.users("--add", "bob", "--mechanism", "SCRAM-SHA-256", "--password-stdin", config=admin, password=bob_pw)
        self.assertEqual(r.returncode, 0, r.stderr)
        # bob authenticates with SCRAM-SHA-256 (and has no SCRAM-SHA-512 credential).
        self.kcat_roundtrip("SASL_SSL", "SCRAM-SHA-256", "bob", bob_pw, n=10)
        r = kcat(*self.kcat_sasl("SASL_SSL", "SCRAM-SHA-512", "bob", bob_pw), "-L", "-m", "5", timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"Authentication failed", r.stderr)

        r = self.users("--list", config=admin)
        self.assertEqual(r.returncode, 0, r.stderr)
        rows = [line.split() for line in r.stdout.decode().splitlines()[1:]]
        self.assertIn(["bob", "SCRAM-SHA-256", "8192"], rows)
        self.assertNotIn("SCRAM-SHA-512", [m for u, m, _ in rows if u == "bob"])
        self.assertIn(["admin", "SCRAM-SHA-512", "8192"], rows)
        self.assertNotIn(bob_pw, self.broker.logged(0))

        r = self.users("--delete", "bob", config=admin)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = kcat(*self.kcat_sasl("SASL_SSL", "SCRAM-SHA-256", "bob", bob_pw), "-L", "-m", "5", timeout=30)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"Authentication failed", r.stderr)
        r = self.users("--list", config=admin)
        self.assertNotIn(b"bob", r.stdout)

        r = self.users("--delete", "bob", config=admin)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"no such credential", r.stderr)

    def test_a_wrong_password_in_the_command_config_is_refused(self):
        r = self.users("--list", config=self.command_config("admin", "not-the-admin-password"))
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"refused", r.stderr)
        self.assertNotIn(b"admin ", r.stdout)

    def test_the_data_dir_of_a_running_broker_is_locked(self):
        r = subprocess.run([RIVULET, "users", "--data-dir", self.broker.data_dir, "--list"], capture_output=True,
                           timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"lock", r.stderr)


class DelayTest(unittest.TestCase):
    """6: failures from one address wait longer each time."""

    @classmethod
    def setUpClass(cls):
        cls.broker = SaslBroker({"alice": (ALICE_PW, ("SCRAM-SHA-256",))},
                                **{"connection.failed.authentication.delay.ms": "200"}).start()

    @classmethod
    def tearDownClass(cls):
        cls.broker.cleanup()

    def failed_attempt(self):
        """A wrong SCRAM proof: (seconds from sending it to the error, the
        time the error came)."""
        with RawConn(self.broker.sasl_port) as conn:
            self.assertEqual(handshake(conn, "SCRAM-SHA-256"), (0, MECHANISMS))
            client = ScramClient("SCRAM-SHA-256", "alice", "not-alice's-password")
            error, message, server_first = authenticate(conn, client.first())
            self.assertEqual(error, 0, message)
            final = client.final(server_first)
            start = time.monotonic()
            error, _, _ = authenticate(conn, final)
            end = time.monotonic()
            self.assertEqual(error, SASL_AUTHENTICATION_FAILED)
            self.assertTrue(conn.closed())
            return end - start, end

    def test_failed_attempts_take_increasing_time(self):
        took = [self.failed_attempt()[0] for _ in range(3)]
        self.assertGreaterEqual(took[0], 0.18, took)
        self.assertGreaterEqual(took[1], 0.36, took)
        self.assertGreaterEqual(took[2], 0.72, took)
        self.assertLess(took[0], took[1], took)
        self.assertLess(took[1], took[2], took)
        self.assertLess(max(took), 6, took)
        # While a fourth failure waits its delay (1.6 s), the same address
        # logs in with the right password and is served: the delay holds back
        # that connection, not the listener.
        outcome = []
        waiting = threading.Thread(target=lambda: outcome.append(self.failed_attempt()))
        waiting.start()
        time.sleep(0.1)
        with RawConn(self.broker.sasl_port) as conn:
            (error, message, _), _ = scram_login(conn, "SCRAM-SHA-256", "alice", ALICE_PW)
            self.assertEqual(error, 0, message)
            self.assertEqual(metadata_brokers(conn), [("127.0.0.1", self.broker.sasl_port)])
            served = time.monotonic()
        waiting.join(30)
        self.assertEqual(len(outcome), 1)
        took4, failed_at = outcome[0]
        self.assertGreaterEqual(took4, 1.4)
        self.assertLess(served, failed_at)


class ReceiveSizeTest(SaslCase):
    """7: sasl.server.max.receive.size bounds frames before authentication
    only."""
    extra = {"sasl.server.max.receive.size": "4096", "connection.failed.authentication.delay.ms": "0"}

    def test_a_large_frame_before_authentication_closes_the_connection(self):
        pid = self.broker.proc.pid
        frame = struct.pack(">i", 100 << 10) + rng_bytes(100 << 10)
        since = self.broker.log_size()
        # Without TLS, for the size header alone: closed before the body.
        with RawConn(self.broker.sasl_port) as conn:
            conn.send(frame[:4])
            self.assertTrue(conn.closed(timeout=5))
        self.assertIn("size 102400 out of range", self.broker.wait_logged("out of range", since))
        self.assertIn("sasl.server.max.receive.size", self.broker.logged(since))
        # Many at once, all but the last byte of each frame: a broker that
        # read them would now hold 15 MiB, waiting for the last bytes.
        before = rss_kib(pid)
        conns = [RawConn(self.broker.sasl_port) for _ in range(150)]
        try:
            for conn in conns:
                conn.send(frame[:-1])
            time.sleep(0.5)
            grown = rss_kib(pid) - before
            for conn in conns:
                self.assertTrue(conn.closed(timeout=5))
        finally:
            for conn in conns:
                conn.s.close()
        self.assertLess(grown, 6 << 10, f"the broker grew by {grown} KiB")
        # Under TLS as well.
        with RawConn(self.broker.sasl_ssl_port, self.pki["ca"]) as conn:
            conn.send(frame)
            self.assertTrue(conn.closed(timeout=5))
        self.assertTrue(self.broker.alive())

    def test_a_large_produce_after_authentication_is_accepted(self):
        from confluent_kafka import Consumer, Producer, TopicPartition
        topic = f"large-{uuid.uuid4().hex[:8]}"
        value = rng_bytes(100 << 10)
        p = Producer(self.confluent_conf("SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", ALICE_PW))
        p.produce(topic, value=value)
        self.assertEqual(p.flush(30), 0)
        c = Consumer(self.confluent_conf("SASL_PLAINTEXT", "SCRAM-SHA-256", "alice", ALICE_PW, **{
            "group.id": f"g-{topic}", "enable.auto.commit": False}))
        c.assign([TopicPartition(topic, 0, 0)])
        got = None
        deadline = time.time() + 20
        while got is None and time.time() < deadline:
            m = c.poll(0.2)
            if m is not None and m.error() is None:
                got = m.value()
        c.close()
        self.assertEqual(got, value)


class RefusedConfigTest(unittest.TestCase):
    """10: configurations that cannot work, refused at start with one line."""

    def start_fails(self, config, needle):
        d = tempfile.mkdtemp(prefix="rivulet-sasl-cfg-")
        try:
            path = os.path.join(d, "server.properties")
            with open(path, "w") as f:
                f.writelines(f"{k}={v}\n" for k, v in config.items())
            r = subprocess.run([RIVULET, "broker", "--data-dir", os.path.join(d, "data"), "--config", path],
                               capture_output=True, timeout=30)
        finally:
            shutil.rmtree(d, ignore_errors=True)
        self.assertNotEqual(r.returncode, 0)
        self.assertNotIn(b"listening on", r.stdout)
        lines = [line for line in r.stderr.decode().splitlines() if line.strip()]
        self.assertEqual(len(lines), 1, lines)
        self.assertIn(needle, lines[0])

    def test_gssapi(self):
        self.start_fails({"listeners": f"SASL_PLAINTEXT://127.0.0.1:{free_port()}",
                          "sasl.enabled.mechanisms": "GSSAPI"}, "GSSAPI")

    def test_oauthbearer_among_others(self):
        self.start_fails({"listeners": f"SASL_PLAINTEXT://127.0.0.1:{free_port()}",
                          "sasl.enabled.mechanisms": "SCRAM-SHA-256,OAUTHBEARER"}, "OAUTHBEARER")

    def test_sasl_ssl_listener_without_keystore(self):
        self.start_fails({"listeners": f"SASL_SSL://127.0.0.1:{free_port()}"}, "ssl.keystore.location")


if __name__ == "__main__":
    unittest.main(verbosity=2)
