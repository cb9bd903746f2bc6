"""Authorization: a broker with a PLAINTEXT and a SASL_PLAINTEXT listener and
Kafka's authorizer turned on (authorizer.class.name, super.users), users
made with `rivulet users --data-dir` before it starts, and the real clients
(confluent-kafka, kafka-python, kcat) as those users: producing, Metadata,
groups and offsets, idempotent and transactional producers each refused
with Kafka's error code where the ACLs say no; the ACLs managed through
the Kafka admin API (kafka-python's KafkaAdminClient) and `rivulet acls`
(through the broker with --command-config, and on a stopped broker's data
directory); allow.everyone.if.no.acl.found; a broker without an authorizer
(SECURITY_DISABLED); `rivulet users` through the broker as a super user
and as one who is not; the admin APIs (configs, partitions, records, log
dirs, groups, DescribeCluster's authorized operations) and the `rivulet`
commands that use them, each refused without its ACL with nothing changed.

Debian's confluent-kafka (1.7.0) has no AdminClient.create_acls /
describe_acls / delete_acls (they came in 1.9), so the admin API is
exercised with kafka-python's, and SECURITY_DISABLED with kafka-python's
and a raw DescribeAcls request.
"""
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import unittest

from broker_fixture import RIVULET, Broker, add_user, free_port, i32, raw_request, read_response, string, unique
# test_admin.py's hand-built requests (the APIs Debian's clients lack); here
# over connections authenticated as a user (sasl_plain below).
from test_admin import (BROKER, DELETE, SET, TOPIC, delete_groups_v2, delete_records, describe_cluster,
                        describe_log_dirs, incremental_alter_configs, offset_delete)

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic

PASSWORDS = {"admin": "admin-secret", "other": "other-secret", "alice": "alice-secret", "bob": "bob-secret"}

# Kafka's error codes.
NONE = 0
TOPIC_AUTHORIZATION_FAILED = 29
GROUP_AUTHORIZATION_FAILED = 30
CLUSTER_AUTHORIZATION_FAILED = 31
SECURITY_DISABLED = 54

# Kafka's AclOperation codes: the bits of DescribeCluster's
# cluster_authorized_operations.
CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE = 5, 7, 8, 9, 10, 11, 12


def sasl_plain(port, user):
    """What test_admin.py's request helpers take in place of a port: a
    function that opens a connection to `port` and authenticates it as
    `user` with SASL PLAIN (SaslHandshake v1, SaslAuthenticate v0)."""
    def connect():
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        token = b"\0" + user.encode() + b"\0" + PASSWORDS[user].encode()
        for key, version, body in ((17, 1, string("PLAIN")), (36, 0, i32(len(token)) + token)):
            header = struct.pack(">hhih", key, version, 1, 4) + b"sasl"
            s.sendall(i32(len(header) + len(body)) + header + body)
            resp = read_response(s)
            if resp is None or struct.unpack(">h", resp[1][:2])[0] != NONE:
                s.close()
                raise AssertionError(f"SASL PLAIN as {user}: API {key} answered {resp!r}")
        return s
    return connect


class AclBroker(Broker):
    """A broker with PLAINTEXT on self.port and SASL_PLAINTEXT (PLAIN and
    SCRAM) on self.sasl_port; the users of PASSWORDS made before it starts."""

    def __init__(self, **extra):
        super().__init__()
        self.sasl_port = free_port()
        while self.sasl_port == self.port:
            self.sasl_port = free_port()
        self.config = {
            "listeners": f"PLAINTEXT://127.0.0.1:{self.port},SASL_PLAINTEXT://127.0.0.1:{self.sasl_port}",
            "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256,SCRAM-SHA-512",
            "group.initial.rebalance.delay.ms": "0",
            "num.partitions": "1",
        }
        self.config.update(extra)
        for name, password in PASSWORDS.items():
            add_user(self.data_dir, name, password)

    @property
    def sasl_bootstrap(self):
        return f"127.0.0.1:{self.sasl_port}"


class AclCase(unittest.TestCase):
    """One AclBroker with `broker_config` for the class, clients as users."""
    broker_config = {
        "authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
        "super.users": "User:admin;User:other",
    }

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="rivulet-acls-")
        cls.broker = AclBroker(**cls.broker_config).start()

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        shutil.rmtree(cls.dir, ignore_errors=True)
        assert code == 0, f"broker exited with {code}"

    # Clients as a user.

    def conf(self, user, **extra):
        conf = {"bootstrap.servers": self.broker.sasl_bootstrap, "security.protocol": "SASL_PLAINTEXT",
                "sasl.mechanism": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": PASSWORDS[user]}
        conf.update(extra)
        return conf

    def kp_conf(self, user):
        return {"bootstrap_servers": self.broker.sasl_bootstrap, "security_protocol": "SASL_PLAINTEXT",
                "sasl_mechanism": "SCRAM-SHA-512", "sasl_plain_username": user,
                "sasl_plain_password": PASSWORDS[user]}

    def command_config(self, user):
        path = os.path.join(self.dir, f"{user}.properties")
        if not os.path.exists(path):
            with open(path, "w") as f:
                f.write("security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-512\n")
                # Java's form, as kafka-acls' --command-config files have it.
                f.write("sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required "
                        f'username="{user}" password="{PASSWORDS[user]}";\n')
        return path

    def rivulet(self, command, *args, user="admin", input=None):
        """`rivulet COMMAND ARGS` through the broker as `user`."""
        return subprocess.run([RIVULET, command, *args, "--bootstrap-server", self.broker.sasl_bootstrap,
                               "--command-config", self.command_config(user)], input=input, capture_output=True,
                              timeout=60)

    def consume_and_commit(self, user, topic, group, count):
        """Subscribes as `user` in `group`, reads `count` values (20 s at
        most, no record errors), commits; returns (values, committed)."""
        c = Consumer(self.conf(user, **{"group.id": group, "auto.offset.reset": "earliest"}))
        c.subscribe([topic])
        got = []
        deadline = time.time() + 20
        try:
            while len(got) < count and time.time() < deadline:
                m = c.poll(0.2)
                if m is not None:
                    self.assertIsNone(m.error(), m.error())
                    got.append(m.value())
            committed = c.commit(asynchronous=False)
        finally:
            c.close()
        return got, committed

    def acls(self, *args, user="admin"):
        """`rivulet acls` through the broker; must succeed. Returns stdout."""
        r = self.rivulet("acls", *args, user=user)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        return r.stdout.decode()

    def produce(self, user, topic, values, **extra):
        """Produces `values` as `user` with confluent-kafka; returns the
        delivery reports' errors (None for a delivered record), in order of
        the values."""
        conf = self.conf(user, **{"message.timeout.ms": 8000})
        conf.update(extra)
        p = Producer(conf)
        errors = {}
        for i, v in enumerate(values):
            p.produce(topic, value=v, on_delivery=lambda err, msg, i=i: errors.__setitem__(i, err))
        self.assertEqual(p.flush(15), 0, "undelivered records")
        return [errors[i] for i in range(len(values))]

    def create_topics(self, *names):
        admin = AdminClient(self.conf("admin"))
        for name, f in admin.create_topics([NewTopic(n, 1, 1) for n in names]).items():
            f.result(timeout=15)

    def watermarks(self, topic, partition=0):
        c = Consumer(self.conf("admin", **{"group.id": "admin-offsets"}))
        try:
            return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        finally:
            c.close()

    def end_offset(self, topic):
        return self.watermarks(topic)[1]

    # What the admin sees, to check that a refusal changed nothing.

    def overrides(self, topic):
        """The topic's overridden settings."""
        admin = AdminClient(self.conf("admin"))  # kept until the result is in
        entries = list(admin.describe_configs([ConfigResource("topic", topic)]).values())[0].result(timeout=15)
        return {n: e.value for n, e in entries.items() if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value}

    def partition_count(self, topic):
        return len(AdminClient(self.conf("admin")).list_topics(topic, timeout=10).topics[topic].partitions)

    def group_offsets(self, group):
        """{(topic, partition): offset} committed in `group`."""
        from kafka import KafkaAdminClient
        admin = KafkaAdminClient(**self.kp_conf("admin"))
        try:
            offsets = admin.list_consumer_group_offsets(group, group_coordinator_id=0)
        finally:
            admin.close()
        return {(tp.topic, tp.partition): om.offset for tp, om in offsets.items()}

    def commit_offsets(self, group, offsets):
        """Commits {(topic, partition): offset} in `group` as the admin,
        outside any generation (the group stays without members)."""
        c = Consumer(self.conf("admin", **{"group.id": group, "enable.auto.commit": False}))
        try:
            c.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False)
        finally:
            c.close()

    def read_all(self, topic, **extra):
        """Every record of `topic` (one partition), read by the admin up to
        the end of the partition."""
        c = Consumer(self.conf("admin", **{"group.id": unique("admin-read"), "enable.auto.commit": False,
                                           "enable.partition.eof": True}, **extra))
        c.assign([TopicPartition(topic, 0, 0)])
        got = []
        deadline = time.time() + 15
        try:
            while time.time() < deadline:
                m = c.poll(0.2)
                if m is None:
                    continue
                if m.error() is None:
                    got.append(m.value())
                elif m.error().code() == KafkaError._PARTITION_EOF:
                    return got
                else:
                    self.fail(m.error())
        finally:
            c.close()
        self.fail(f"no end of {topic} within 15 s")

    def assert_codes(self, errors, code):
        self.assertTrue(errors)
        for e in errors:
            self.assertIsNotNone(e, "delivered, expected a refusal")
            self.assertEqual(e.code(), code, e)


class AuthorizerTest(AclCase):
    """Authorizer on, super.users=User:admin;User:other, nothing allowed
    where no ACL says so. Topics `a` and `b` exist; alice may Write (and
    Describe) `a` and nothing else. bob's ACLs are removed by each test that
    adds them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        t = cls("run")
        t.create_topics("a", "b")
        t.acls("--add", "--allow-principal", "User:alice", "--operation", "Write", "--operation", "Describe",
               "--topic", "a")

    def remove_acls(self, *args):
        self.addCleanup(lambda: self.rivulet("acls", "--remove", "--force", *args))

    def test_produce_allowed_on_a_refused_on_b(self):
        b_end = self.end_offset("b")
        errors = self.produce("alice", "a", [b"alice-%d" % i for i in range(5)])
        self.assertEqual(errors, [None] * 5)
        got = self.read_all("a")
        for i in range(5):
            self.assertIn(b"alice-%d" % i, got)
        self.assert_codes(self.produce("alice", "b", [b"no-%d" % i for i in range(3)]), TOPIC_AUTHORIZATION_FAILED)
        self.assertEqual(self.end_offset("b"), b_end)

        from kafka import KafkaProducer
        from kafka.errors import TopicAuthorizationFailedError
        p = KafkaProducer(max_block_ms=10000, **self.kp_conf("alice"))
        try:
            self.assertIsNotNone(p.send("a", b"kp-ok").get(timeout=15))
            with self.assertRaises(TopicAuthorizationFailedError):
                p.send("b", b"kp-no").get(timeout=15)
        finally:
            p.close(timeout=5)
        self.assertEqual(self.end_offset("b"), b_end)
        self.assertIn(b"kp-ok", self.read_all("a"))
        self.assertNotIn(b"kp-no", self.read_all("b"))

    def test_write_needs_write_not_only_describe(self):
        # Describe without Write: the topic's metadata is there, and the
        # Produce request itself is refused.
        topic = unique("describe-only")
        self.create_topics(topic)
        self.acls("--add", "--allow-principal", "User:bob", "--operation", "Describe", "--topic", topic)
        self.remove_acls("--topic", topic)
        md = AdminClient(self.conf("bob")).list_topics(topic=topic, timeout=10)
        self.assertIsNone(md.topics[topic].error)
        self.assertEqual(len(md.topics[topic].partitions), 1)
        self.assert_codes(self.produce("bob", topic, [b"x", b"y"]), TOPIC_AUTHORIZATION_FAILED)
        self.assertEqual(self.end_offset(topic), 0)

    def test_metadata_lists_only_what_the_principal_may_describe(self):
        topics = AdminClient(self.conf("alice")).list_topics(timeout=10).topics
        self.assertIn("a", topics)
        self.assertNotIn("b", topics)
        md = AdminClient(self.conf("alice")).list_topics(topic="b", timeout=10)
        self.assertEqual(md.topics["b"].error.code(), TOPIC_AUTHORIZATION_FAILED)
        topics = AdminClient(self.conf("admin")).list_topics(timeout=10).topics
        self.assertIn("a", topics)
        self.assertIn("b", topics)
        sasl = ["-X", "security.protocol=SASL_PLAINTEXT", "-X", "sasl.mechanisms=SCRAM-SHA-512"]
        r = subprocess.run(["kcat", "-b", self.broker.sasl_bootstrap, *sasl, "-X", "sasl.username=alice", "-X",
                            f"sasl.password={PASSWORDS['alice']}", "-L"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b'topic "a" with 1 partitions', r.stdout)
        self.assertNotIn(b'topic "b"', r.stdout)
        # PLAINTEXT: User:ANONYMOUS, who may describe nothing.
        r = subprocess.run(["kcat", "-b", self.broker.bootstrap, "-L"], capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"\n 0 topics:", r.stdout)

    def test_groups_need_read(self):
        # No Read on group gb: refused before joining.
        c = Consumer(self.conf("alice", **{"group.id": "gb", "auto.offset.reset": "earliest"}))
        c.subscribe(["a"])
        error = None
        deadline = time.time() + 10
        try:
            while error is None and time.time() < deadline:
                m = c.poll(0.2)
                if m is not None and m.error() is not None:
                    error = m.error()
        finally:
            c.close()
        self.assertIsNotNone(error, "no error polling group gb")
        self.assertEqual(error.code(), KafkaError.GROUP_AUTHORIZATION_FAILED, error)

        # --consumer: Read and Describe on `a`, Read on ga.
        out = self.acls("--add", "--allow-principal", "User:alice", "--consumer", "--topic", "a", "--group", "ga")
        self.assertIn("operation=READ", out)
        self.remove_acls("--allow-principal", "User:alice", "--operation", "Read", "--topic", "a")
        self.remove_acls("--group", "ga")
        self.assertEqual(self.produce("admin", "a", [b"for-ga-%d" % i for i in range(3)]), [None] * 3)
        end = self.end_offset("a")
        c = Consumer(self.conf("alice", **{"group.id": "ga", "auto.offset.reset": "earliest",
                                           "enable.auto.commit": False}))
        c.subscribe(["a"])
        got = []
        deadline = time.time() + 20
        try:
            while len(got) < end and time.time() < deadline:
                m = c.poll(0.2)
                if m is None:
                    continue
                self.assertIsNone(m.error(), m.error())
                got.append(m.value())
            committed = c.commit(asynchronous=False)
        finally:
            c.close()
        self.assertEqual(len(got), end)
        self.assertIn(b"for-ga-2", got)
        self.assertEqual([(tp.topic, tp.offset, tp.error) for tp in committed], [("a", end, None)])

        # OffsetFetch straight to the coordinator (node 0): alice reads
        # her commit; bob, without ACLs, is refused.
        from kafka import KafkaAdminClient
        from kafka.errors import GroupAuthorizationFailedError
        admin = KafkaAdminClient(**self.kp_conf("alice"))
        try:
            offsets = admin.list_consumer_group_offsets("ga", group_coordinator_id=0)
        finally:
            admin.close()
        self.assertEqual({(tp.topic, tp.partition): o.offset for tp, o in offsets.items()}, {("a", 0): end})
        admin = KafkaAdminClient(**self.kp_conf("bob"))
        try:
            with self.assertRaises(GroupAuthorizationFailedError):
                admin.list_consumer_group_offsets("ga", group_coordinator_id=0)
        finally:
            admin.close()

    def test_admin_api_manages_acls(self):
        from kafka import KafkaAdminClient
        from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                                 ResourcePattern, ResourcePatternFilter, ResourceType)
        from kafka.errors import ClusterAuthorizationFailedError, NoError
        topic = unique("bob-admin")
        self.create_topics(topic)
        self.assert_codes(self.produce("bob", topic, [b"before"]), TOPIC_AUTHORIZATION_FAILED)
        acl = ACL(principal="User:bob", host="*", operation=ACLOperation.WRITE,
                  permission_type=ACLPermissionType.ALLOW, resource_pattern=ResourcePattern(ResourceType.TOPIC, topic))
        flt = ACLFilter(principal="User:bob", host="*", operation=ACLOperation.ANY,
                        permission_type=ACLPermissionType.ANY,
                        resource_pattern=ResourcePatternFilter(ResourceType.TOPIC, topic,
                                                               ACLResourcePatternType.LITERAL))
        admin = KafkaAdminClient(**self.kp_conf("admin"))
        try:
            result = admin.create_acls([acl])
            self.assertEqual(result["failed"], [])
            self.assertEqual(len(result["succeeded"]), 1)
            listed, error = admin.describe_acls(flt)
            self.assertIs(error, NoError)
            self.assertEqual([(a.principal, a.host, a.operation, a.permission_type, a.resource_pattern.resource_type,
                               a.resource_pattern.resource_name, a.resource_pattern.pattern_type) for a in listed],
                             [("User:bob", "*", ACLOperation.WRITE, ACLPermissionType.ALLOW, ResourceType.TOPIC, topic,
                               ACLResourcePatternType.LITERAL)])
            self.assertEqual(self.produce("bob", topic, [b"granted"]), [None])
            self.assertIn(f"name={topic}, patternType=LITERAL", self.acls("--list", "--topic", topic))

            deleted = admin.delete_acls([flt])
            self.assertEqual(len(deleted), 1)
            _, matching, filter_error = deleted[0]
            self.assertIs(filter_error, NoError)
            self.assertEqual([(a.principal, a.operation, a.resource_pattern.resource_name, e)
                              for a, e in matching], [("User:bob", ACLOperation.WRITE, topic, NoError)])
            listed, error = admin.describe_acls(flt)
            self.assertEqual(listed, [])
        finally:
            admin.close()
        self.assert_codes(self.produce("bob", topic, [b"after"]), TOPIC_AUTHORIZATION_FAILED)
        self.assertEqual(self.read_all(topic), [b"granted"])

        # Not a super user, no Alter on the cluster.
        admin = KafkaAdminClient(**self.kp_conf("alice"))
        try:
            result = admin.create_acls([acl])
            self.assertEqual(result["succeeded"], [])
            self.assertEqual(len(result["failed"]), 1)
            self.assertIs(result["failed"][0][1], ClusterAuthorizationFailedError)
            with self.assertRaises(ClusterAuthorizationFailedError):
                admin.describe_acls(flt)
            _, matching, filter_error = admin.delete_acls([flt])[0]
            self.assertIs(filter_error, ClusterAuthorizationFailedError)
        finally:
            admin.close()
        self.assertEqual(self.acls("--list", "--topic", topic), "")

    def test_create_and_delete_topics_need_acls(self):
        mine, theirs = unique("alice-made"), unique("not-alices")
        self.acls("--add", "--allow-principal", "User:alice", "--operation", "Create", "--topic", mine)
        self.remove_acls("--topic", mine)
        admin = AdminClient(self.conf("alice"))
        futures = admin.create_topics([NewTopic(mine, 1, 1), NewTopic(theirs, 1, 1)])
        self.assertIsNone(futures[mine].result(timeout=15))
        with self.assertRaises(KafkaException) as cm:
            futures[theirs].result(timeout=15)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED)
        topics = AdminClient(self.conf("admin")).list_topics(timeout=10).topics
        self.assertIn(mine, topics)
        self.assertNotIn(theirs, topics)
        # Create is not Delete.
        with self.assertRaises(KafkaException) as cm:
            admin.delete_topics([mine])[mine].result(timeout=15)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED)
        self.assertIn(mine, AdminClient(self.conf("admin")).list_topics(timeout=10).topics)
        self.acls("--add", "--allow-principal", "User:alice", "--operation", "Delete", "--topic", mine)
        self.assertIsNone(admin.delete_topics([mine])[mine].result(timeout=15))
        self.assertNotIn(mine, AdminClient(self.conf("admin")).list_topics(timeout=10).topics)

    def test_hosts_and_wildcard_principals(self):
        everyone, elsewhere = unique("everyone"), unique("elsewhere")
        self.create_topics(everyone, elsewhere)
        self.remove_acls("--topic", everyone)
        self.remove_acls("--topic", elsewhere)
        # User:* from any host: bob and alice both.
        self.acls("--add", "--allow-principal", "User:*", "--operation", "Write", "--topic", everyone)
        self.assertEqual(self.produce("bob", everyone, [b"bob-1"]), [None])
        self.assertEqual(self.produce("alice", everyone, [b"alice-1"]), [None])
        # A deny for bob from this host (clients come from 127.0.0.1).
        self.acls("--add", "--deny-principal", "User:bob", "--deny-host", "127.0.0.1", "--operation", "Write",
                  "--topic", everyone)
        self.assert_codes(self.produce("bob", everyone, [b"bob-2"]), TOPIC_AUTHORIZATION_FAILED)
        self.assertEqual(self.produce("alice", everyone, [b"alice-2"]), [None])
        self.assertEqual(self.read_all(everyone), [b"bob-1", b"alice-1", b"alice-2"])
        # An allow from another host is no allow from this one; from this
        # one it is.
        self.acls("--add", "--allow-principal", "User:bob", "--allow-host", "10.1.2.3", "--operation", "Write",
                  "--topic", elsewhere)
        self.assertIn("(principal=User:bob, host=10.1.2.3, operation=WRITE, permissionType=ALLOW)",
                      self.acls("--list", "--topic", elsewhere))
        self.assert_codes(self.produce("bob", elsewhere, [b"no"]), TOPIC_AUTHORIZATION_FAILED)
        self.acls("--add", "--allow-principal", "User:bob", "--allow-host", "127.0.0.1", "--operation", "Write",
                  "--topic", elsewhere)
        self.assertEqual(self.produce("bob", elsewhere, [b"yes"]), [None])
        self.assertEqual(self.read_all(elsewhere), [b"yes"])

    def test_group_listing_shows_only_describable_groups(self):
        mine, hidden = unique("alices-group"), unique("hidden-group")
        self.create_topics(mine)
        self.acls("--add", "--allow-principal", "User:alice", "--operation", "Read", "--topic", mine, "--group",
                  mine)
        self.remove_acls("--topic", mine)
        self.remove_acls("--group", mine)
        self.assertEqual(self.produce("admin", mine, [b"g"]), [None])
        for user, group in (("alice", mine), ("admin", hidden)):
            c = Consumer(self.conf(user, **{"group.id": group, "auto.offset.reset": "earliest"}))
            c.subscribe([mine])
            got = None
            deadline = time.time() + 20
            while got is None and time.time() < deadline:
                m = c.poll(0.2)
                if m is not None:
                    self.assertIsNone(m.error(), m.error())
                    got = m.value()
            c.commit(asynchronous=False)
            c.close()
            self.assertEqual(got, b"g")
        from kafka import KafkaAdminClient
        from kafka.errors import GroupAuthorizationFailedError
        groups = {}
        for user in ("alice", "admin"):
            admin = KafkaAdminClient(**self.kp_conf(user))
            try:
                groups[user] = {g for g, _ in admin.list_consumer_groups()}
                if user == "alice":
                    with self.assertRaises(GroupAuthorizationFailedError):
                        admin.list_consumer_group_offsets(hidden, group_coordinator_id=0)
            finally:
                admin.close()
        self.assertIn(mine, groups["alice"])
        self.assertNotIn(hidden, groups["alice"])
        self.assertLessEqual({mine, hidden}, groups["admin"])

    def test_rivulet_acls_through_the_broker(self):
        logs_eu, other = unique("logs-eu"), unique("other")
        self.create_topics(logs_eu, other)
        out = self.acls("--add", "--allow-principal", "User:bob", "--operation", "Write", "--topic", "logs-",
                        "--resource-pattern-type", "prefixed")
        self.assertIn("Adding ACLs:", out)
        self.acls("--add", "--allow-principal", "User:bob", "--operation", "Read", "--topic", other)
        listing = self.acls("--list")
        self.assertIn("Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name=logs-, "
                      "patternType=PREFIXED)`:\n \t(principal=User:bob, host=*, operation=WRITE, "
                      "permissionType=ALLOW)\n", listing)
        self.assertIn(f"Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name={other}, "
                      "patternType=LITERAL)`:\n \t(principal=User:bob, host=*, operation=READ, "
                      "permissionType=ALLOW)\n", listing)
        self.assertIn("(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)", listing)
        # --principal filters.
        mine = self.acls("--list", "--principal", "User:bob")
        self.assertIn("name=logs-,", mine)
        self.assertNotIn("User:alice", mine)

        # The prefix covers logs-eu-...; Read on `other` is no Write.
        self.assertEqual(self.produce("bob", logs_eu, [b"eu-1"]), [None])
        self.assert_codes(self.produce("bob", other, [b"o"]), TOPIC_AUTHORIZATION_FAILED)

        # A deny on the literal topic beats the prefixed allow.
        self.acls("--add", "--deny-principal", "User:bob", "--operation", "Write", "--topic", logs_eu)
        self.assert_codes(self.produce("bob", logs_eu, [b"eu-2"]), TOPIC_AUTHORIZATION_FAILED)
        self.assertEqual(self.read_all(logs_eu), [b"eu-1"])

        out = self.acls("--remove", "--force", "--topic", "logs-", "--resource-pattern-type", "prefixed")
        self.assertIn("Removed ACLs:", out)
        self.assertIn("name=logs-, patternType=PREFIXED", out)
        self.acls("--remove", "--force", "--topic", logs_eu)
        self.acls("--remove", "--force", "--topic", other)
        listing = self.acls("--list")
        self.assertNotIn("logs-", listing)
        self.assertNotIn(other, listing)
        self.assertNotIn("User:bob", listing)
        self.assertEqual(self.acls("--list", "--principal", "User:bob"), "")
        self.assert_codes(self.produce("bob", logs_eu, [b"eu-3"]), TOPIC_AUTHORIZATION_FAILED)
        # Removing what is not there says so.
        r = self.rivulet("acls", "--remove", "--force", "--topic", logs_eu)
        self.assertNotEqual(r.returncode, 0)

    def test_removing_an_allow_keeps_the_deny(self):
        # kafka-acls removes what --allow-principal names (Allow, its hosts,
        # its operations), never a Deny of the same principal and operation.
        t = unique("keep-deny")
        self.create_topics(t)
        self.acls("--add", "--allow-principal", "User:bob", "--operation", "Write", "--operation", "Read", "--topic", t)
        self.acls("--add", "--deny-principal", "User:bob", "--operation", "Write", "--topic", t)
        out = self.acls("--remove", "--allow-principal", "User:bob", "--operation", "Write", "--topic", t)
        self.assertIn("operation=WRITE, permissionType=ALLOW", out)
        self.assertNotIn("DENY", out)
        listing = self.acls("--list", "--topic", t)
        self.assertIn("(principal=User:bob, host=*, operation=WRITE, permissionType=DENY)", listing)
        self.assertIn("(principal=User:bob, host=*, operation=READ, permissionType=ALLOW)", listing)
        # Without --operation: every Allow of the principal there, and still not the Deny.
        self.acls("--remove", "--allow-principal", "User:bob", "--topic", t)
        listing = self.acls("--list", "--topic", t)
        self.assertNotIn("permissionType=ALLOW", listing)
        self.assertIn("operation=WRITE, permissionType=DENY", listing)
        self.acls("--remove", "--topic", t)
        self.assertEqual(self.acls("--list", "--topic", t), "")

    def test_rivulet_acls_as_a_user_who_may_not(self):
        for args in (("--list",),
                     ("--add", "--allow-principal", "User:alice", "--operation", "Write", "--topic", "b")):
            r = self.rivulet("acls", *args, user="alice")
            self.assertNotEqual(r.returncode, 0, r.stdout)
            self.assertIn(b"not authorized", r.stderr)
        self.assertNotIn("name=b,", self.acls("--list"))
        self.assert_codes(self.produce("alice", "b", [b"still-no"]), TOPIC_AUTHORIZATION_FAILED)

    def test_super_users_need_no_acls(self):
        b_end = self.end_offset("b")
        for user in ("admin", "other"):  # super.users is ';'-separated
            topic = unique(f"super-{user}")  # created by producing: Create on the cluster
            self.assertEqual(self.produce(user, topic, [b"s1", b"s2"]), [None, None])
            self.assertEqual(self.produce(user, "b", [b"super-b"]), [None])
            topics = AdminClient(self.conf(user)).list_topics(timeout=10).topics
            self.assertIn(topic, topics)
            self.assertIn("b", topics)
            got, committed = self.consume_and_commit(user, topic, unique("super-group"), 2)
            self.assertEqual(got, [b"s1", b"s2"])
            self.assertEqual([(tp.offset, tp.error) for tp in committed], [(2, None)])
            self.assertNotIn(f"name={topic},", self.acls("--list"))
        self.assertEqual(self.read_all("b")[b_end:], [b"super-b", b"super-b"])
        # ... and alice, no super user, still may not create topics.
        topic = unique("alice-creates")
        self.assert_codes(self.produce("alice", topic, [b"x"]), TOPIC_AUTHORIZATION_FAILED)
        self.assertNotIn(topic, AdminClient(self.conf("admin")).list_topics(timeout=10).topics)

    def idempotent_producer_error(self, user, topic):
        """Produces one record with enable.idempotence as `user`: None when
        delivered, else the producer's fatal error (InitProducerId
        refused), else the delivery error. A refused delivery can come
        before the fatal error: that waits 2 s more."""
        fatal = []
        p = Producer(self.conf(user, **{"enable.idempotence": True, "message.timeout.ms": 8000,
                                        "error_cb": lambda e: fatal.append(e) if e.fatal() else None}))
        delivered = []
        p.produce(topic, value=b"idem", on_delivery=lambda err, msg: delivered.append((err, time.time())))
        deadline = time.time() + 15
        while not fatal and time.time() < deadline:
            if delivered and (delivered[0][0] is None or time.time() > delivered[0][1] + 2):
                break
            try:
                p.poll(0.1)
            except KafkaException as e:  # the fatal error, raised once error_cb has it
                if not fatal:
                    fatal.append(e.args[0])
        if fatal:
            return fatal[0]
        p.flush(10)
        if fatal:
            return fatal[0]
        self.assertEqual(len(delivered), 1)
        return delivered[0][0]

    def test_idempotent_producer(self):
        self.assertEqual(self.acls("--list", "--principal", "User:bob"), "")
        # No ACL at all: neither IdempotentWrite nor Write on any topic.
        error = self.idempotent_producer_error("bob", "a")
        self.assertIsNotNone(error)
        self.assertEqual(error.code(), KafkaError.CLUSTER_AUTHORIZATION_FAILED, error)
        # Write on `a` is enough (KIP-679).
        self.acls("--add", "--allow-principal", "User:bob", "--operation", "Write", "--topic", "a")
        self.remove_acls("--allow-principal", "User:bob", "--topic", "a")
        self.assertIsNone(self.idempotent_producer_error("bob", "a"))
        self.assertIn(b"idem", self.read_all("a"))
        self.acls("--remove", "--force", "--allow-principal", "User:bob", "--topic", "a")
        # Describe is not Write: refused again.
        self.acls("--add", "--allow-principal", "User:bob", "--operation", "Describe", "--topic", "a")
        error = self.idempotent_producer_error("bob", "a")
        self.assertEqual(error.code(), KafkaError.CLUSTER_AUTHORIZATION_FAILED, error)
        # IdempotentWrite on the cluster: the producer id is granted, and
        # the write itself still needs Write on the topic.
        out = self.acls("--add", "--allow-principal", "User:bob", "--operation", "IdempotentWrite", "--cluster")
        self.remove_acls("--cluster")
        self.assertIn("Current ACLs for resource `ResourcePattern(resourceType=CLUSTER, name=kafka-cluster, "
                      "patternType=LITERAL)`:\n \t(principal=User:bob, host=*, operation=IDEMPOTENT_WRITE, "
                      "permissionType=ALLOW)\n", out)
        error = self.idempotent_producer_error("bob", "a")
        self.assertEqual(error.code(), KafkaError.TOPIC_AUTHORIZATION_FAILED, error)

    def test_transactional_producer(self):
        topic = "a"
        no_write = unique("txn-describe-only")
        self.create_topics(no_write)
        self.acls("--add", "--allow-principal", "User:alice", "--operation", "Describe", "--topic", no_write)
        self.remove_acls("--topic", no_write)
        p = Producer(self.conf("alice", **{"transactional.id": "tx1"}))
        with self.assertRaises(KafkaException) as cm:
            p.init_transactions(10)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
                         cm.exception)
        del p

        self.acls("--add", "--allow-principal", "User:alice", "--operation", "Write", "--operation", "Describe",
                  "--transactional-id", "tx1")
        self.remove_acls("--transactional-id", "tx1")
        self.assertEqual(self.acls("--list", "--transactional-id", "tx1"),
                         "Current ACLs for resource `ResourcePattern(resourceType=TRANSACTIONAL_ID, name=tx1, "
                         "patternType=LITERAL)`:\n"
                         " \t(principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW)\n"
                         " \t(principal=User:alice, host=*, operation=DESCRIBE, permissionType=ALLOW)\n\n")
        p = Producer(self.conf("alice", **{"transactional.id": "tx1"}))
        p.init_transactions(15)
        p.begin_transaction()
        for i in range(3):
            p.produce(topic, value=b"txn-%d" % i)
        p.commit_transaction(15)
        got = self.read_all(topic, **{"isolation.level": "read_committed"})
        self.assertEqual([v for v in got if v.startswith(b"txn-")], [b"txn-0", b"txn-1", b"txn-2"])
        # A topic alice may describe but not write: AddPartitionsToTxn is
        # refused, the transaction cannot commit.
        p.begin_transaction()
        p.produce(no_write, value=b"txn-no")
        with self.assertRaises(KafkaException) as cm:
            p.commit_transaction(15)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED, cm.exception)
        # (No abort_transaction: librdkafka sends EndTxn for a transaction
        # that never began, which Kafka too answers INVALID_TXN_STATE,
        # librdkafka's issue 4849.)
        self.assertEqual(self.end_offset(no_write), 0)

    def test_client_commands_through_a_secured_broker(self):
        # topics, produce, consume and groups over SASL with --command-config
        # (and -X for one property), as Kafka's tools take them.
        t = unique("cmds")
        r = self.rivulet("topics", "--create", "--topic", t, "--partitions", "1")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertIn(t.encode(), self.rivulet("topics", "--list").stdout)
        r = self.rivulet("produce", "--topic", t, input=b"one\ntwo\n")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        r = self.rivulet("consume", "--topic", t, "--from-beginning", "--group", "g-" + t, "--timeout-ms", "3000")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(r.stdout.split(), [b"one", b"two"])
        self.assertIn(("g-" + t).encode(), self.rivulet("groups", "--list").stdout)
        # -X over the file: a wrong password by -X is refused.
        r = self.rivulet("topics", "--list", "-X", "sasl.password=wrong")
        self.assertNotEqual(r.returncode, 0)
        # alice may not write b: the produce fails, saying why.
        r = self.rivulet("produce", "--topic", "b", user="alice", input=b"x\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"authoriz", r.stderr.lower())

        # topics --alter, groups --reset-offsets and groups --delete: the
        # admin's land; bob, who may describe the topic, its configs and
        # the group and nothing more, is refused and changes nothing.
        group = "g-" + t
        r = self.rivulet("topics", "--alter", "--topic", t, "--partitions", "2", "--add-config", "retention.ms=3600000")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual((self.partition_count(t), self.overrides(t)), (2, {"retention.ms": "3600000"}))
        self.acls("--add", "--allow-principal", "User:bob", "--operation", "Describe", "--operation", "DescribeConfigs",
                  "--topic", t)
        self.acls("--add", "--allow-principal", "User:bob", "--operation", "Describe", "--group", group)
        self.remove_acls("--topic", t)
        self.remove_acls("--group", group)
        for args in (("topics", "--alter", "--topic", t, "--add-config", "retention.ms=1000"),
                     ("topics", "--alter", "--topic", t, "--partitions", "3"),
                     ("groups", "--reset-offsets", "--group", group, "--topic", t, "--to-earliest", "--execute"),
                     ("groups", "--delete", "--group", group)):
            r = self.rivulet(*args, user="bob")
            self.assertNotEqual(r.returncode, 0, args)
            self.assertIn(b"authoriz", r.stderr.lower(), args)
        self.assertEqual((self.partition_count(t), self.overrides(t)), (2, {"retention.ms": "3600000"}))
        self.assertEqual(self.group_offsets(group), {(t, 0): 2})
        r = self.rivulet("groups", "--reset-offsets", "--group", group, "--topic", f"{t}:0", "--to-earliest",
                         "--execute")
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(self.group_offsets(group), {(t, 0): 0})
        r = self.rivulet("groups", "--delete", "--group", group)
        self.assertEqual(r.returncode, 0, r.stderr.decode())
        self.assertEqual(self.group_offsets(group), {})
        self.assertNotIn(group.encode(), self.rivulet("groups", "--list").stdout)

    def test_users_through_the_broker(self):
        r = self.rivulet("users", "--add", "carol", "--password-stdin", user="alice", input=b"carol-secret\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"not authorized", r.stderr)
        r = self.rivulet("users", "--list", user="alice")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"not authorized", r.stderr)
        # carol was not made: she cannot authenticate.
        admin = AdminClient(self.conf("alice", **{"sasl.username": "carol", "sasl.password": "carol-secret"}))
        with self.assertRaises(KafkaException):
            admin.list_topics(timeout=3)

        r = self.rivulet("users", "--add", "carol", "--password-stdin", input=b"carol-secret\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.rivulet("users", "--list")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"carol", r.stdout)
        self.assertIn(b"alice", r.stdout)
        topics = AdminClient(self.conf("alice", **{"sasl.username": "carol", "sasl.password": "carol-secret"}))\
            .list_topics(timeout=10).topics
        self.assertEqual(set(topics), set())  # authenticated, and may describe nothing


class AdminApisTest(AclCase):
    """The admin APIs as bob, who starts each test without any ACL: each
    request refused with Kafka's error code and nothing changed, then
    allowed once the ACL it needs is added (with `rivulet acls`, or
    kafka-python's create_acls for the cluster's). What the Python clients
    lack goes by test_admin.py's hand-built requests, over a connection
    authenticated as bob (self.bob)."""

    def setUp(self):
        self.bob = sasl_plain(self.broker.sasl_port, "bob")

    def tearDown(self):
        from kafka import KafkaAdminClient
        from kafka.admin import (ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                                 ResourcePatternFilter, ResourceType)
        admin = KafkaAdminClient(**self.kp_conf("admin"))
        try:
            admin.delete_acls([ACLFilter(principal="User:bob", host=None, operation=ACLOperation.ANY,
                                         permission_type=ACLPermissionType.ANY,
                                         resource_pattern=ResourcePatternFilter(ResourceType.ANY, None,
                                                                                ACLResourcePatternType.ANY))])
        finally:
            admin.close()

    def allow_bob(self, operation, *resource):
        self.acls("--add", "--allow-principal", "User:bob", "--operation", operation, *resource)

    def allow_bob_on_the_cluster(self, *operations):
        from kafka import KafkaAdminClient
        from kafka.admin import ACL, ACLOperation, ACLPermissionType, ResourcePattern, ResourceType
        admin = KafkaAdminClient(**self.kp_conf("admin"))
        try:
            result = admin.create_acls([ACL(principal="User:bob", host="*", operation=getattr(ACLOperation, op),
                                            permission_type=ACLPermissionType.ALLOW,
                                            resource_pattern=ResourcePattern(ResourceType.CLUSTER, "kafka-cluster"))
                                        for op in operations])
        finally:
            admin.close()
        self.assertEqual(result["failed"], [])

    def test_configs(self):
        from kafka import KafkaAdminClient
        from kafka.admin import ConfigResource as KConfigResource
        from kafka.admin import ConfigResourceType
        topic = unique("cfg")
        self.create_topics(topic)
        admin = AdminClient(self.conf("admin"))
        list(admin.alter_configs([ConfigResource("topic", topic, set_config={"retention.ms": "3600000"})])
             .values())[0].result(timeout=15)
        before = {"retention.ms": "3600000"}
        self.assertEqual(self.overrides(topic), before)
        kadmin = KafkaAdminClient(**self.kp_conf("bob"))
        self.addCleanup(kadmin.close)

        def describe(rtype, name):
            [resp] = kadmin.describe_configs([KConfigResource(rtype, name)])
            [(error, _, _, _, entries)] = resp.resources
            return error, {e[0]: e[1] for e in entries}

        def alter(rtype, name, configs):
            [(error, _, _, _)] = kadmin.alter_configs([KConfigResource(rtype, name, configs=configs)]).resources
            return error

        def incremental(rtype, name, ops):
            [(error, _)] = incremental_alter_configs(self.bob, [(rtype, name, ops)]).values()
            return error

        def refused_to_alter():
            self.assertEqual(alter(ConfigResourceType.TOPIC, topic, {"retention.ms": "60000"}),
                             TOPIC_AUTHORIZATION_FAILED)
            self.assertEqual(incremental(TOPIC, topic, [("retention.ms", SET, "60000")]), TOPIC_AUTHORIZATION_FAILED)
            self.assertEqual(alter(ConfigResourceType.BROKER, "0", {"log.retention.ms": "1000"}),
                             CLUSTER_AUTHORIZATION_FAILED)
            self.assertEqual(incremental(BROKER, "0", [("log.retention.ms", SET, "1000")]),
                             CLUSTER_AUTHORIZATION_FAILED)
            self.assertEqual(self.overrides(topic), before)

        self.assertEqual(describe(ConfigResourceType.TOPIC, topic), (TOPIC_AUTHORIZATION_FAILED, {}))
        self.assertEqual(describe(ConfigResourceType.BROKER, "0"), (CLUSTER_AUTHORIZATION_FAILED, {}))
        refused_to_alter()
        # DescribeConfigs on the topic: described, still not altered.
        self.allow_bob("DescribeConfigs", "--topic", topic)
        error, entries = describe(ConfigResourceType.TOPIC, topic)
        self.assertEqual((error, entries["retention.ms"]), (NONE, "3600000"))
        self.assertEqual(describe(ConfigResourceType.BROKER, "0")[0], CLUSTER_AUTHORIZATION_FAILED)
        refused_to_alter()
        # DescribeConfigs on the cluster: the broker's settings.
        self.allow_bob_on_the_cluster("DESCRIBE_CONFIGS")
        error, entries = describe(ConfigResourceType.BROKER, "0")
        self.assertEqual((error, entries["num.partitions"]), (NONE, "1"))
        refused_to_alter()
        # AlterConfigs on the topic: AlterConfigs replaces, IncrementalAlterConfigs edits.
        self.allow_bob("AlterConfigs", "--topic", topic)
        altered = {"retention.ms": "60000", "retention.bytes": "1000000"}
        self.assertEqual(alter(ConfigResourceType.TOPIC, topic, altered), NONE)
        self.assertEqual(self.overrides(topic), altered)
        self.assertEqual(incremental(TOPIC, topic, [("retention.bytes", DELETE, None)]), NONE)
        self.assertEqual(self.overrides(topic), {"retention.ms": "60000"})

    def test_create_partitions_needs_alter_on_the_topic(self):
        topic = unique("grow")
        self.create_topics(topic)
        admin = AdminClient(self.conf("bob"))
        for acl in (None, "Describe"):  # nothing, then Describe: no Alter
            if acl:
                self.allow_bob(acl, "--topic", topic)
            with self.assertRaises(KafkaException) as cm:
                admin.create_partitions([NewPartitions(topic, 3)])[topic].result(timeout=15)
            self.assertEqual(cm.exception.args[0].code(), KafkaError.TOPIC_AUTHORIZATION_FAILED)
            self.assertEqual(self.partition_count(topic), 1)
        self.allow_bob("Alter", "--topic", topic)
        self.assertIsNone(admin.create_partitions([NewPartitions(topic, 3)])[topic].result(timeout=15))
        self.assertEqual(self.partition_count(topic), 3)

    def test_delete_records_needs_delete_on_the_topic(self):
        topic = unique("delrec")
        self.create_topics(topic)
        self.assertEqual(self.produce("admin", topic, [b"%d" % i for i in range(10)]), [None] * 10)
        for acl in (None, "Read"):
            if acl:
                self.allow_bob(acl, "--topic", topic)
            for version in (0, 2):
                self.assertEqual(delete_records(self.bob, {topic: {0: 4}}, version=version),
                                 {(topic, 0): (-1, TOPIC_AUTHORIZATION_FAILED)})
            self.assertEqual(self.watermarks(topic), (0, 10))
        self.allow_bob("Delete", "--topic", topic)
        self.assertEqual(delete_records(self.bob, {topic: {0: 4}}), {(topic, 0): (4, NONE)})
        self.assertEqual(self.watermarks(topic), (4, 10))

    def test_group_deletion_needs_delete_on_the_group(self):
        from kafka import KafkaAdminClient
        from kafka.errors import GroupAuthorizationFailedError, NoError
        topic, group = unique("gtopic"), unique("group")
        admin = AdminClient(self.conf("admin"))  # kept until the result is in
        admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(timeout=15)
        committed = {(topic, 0): 3, (topic, 1): 5}
        self.commit_offsets(group, committed)
        self.assertEqual(self.group_offsets(group), committed)
        kadmin = KafkaAdminClient(**self.kp_conf("bob"))
        self.addCleanup(kadmin.close)
        # No ACL, then Read on the group (a consumer's): no Delete.
        for acl in (None, "Read"):
            if acl:
                self.allow_bob(acl, "--group", group)
            self.assertEqual(dict(kadmin.delete_consumer_groups([group], group_coordinator_id=0)),
                             {group: GroupAuthorizationFailedError})
            self.assertEqual(delete_groups_v2(self.bob, [group]), {group: GROUP_AUTHORIZATION_FAILED})
            self.assertEqual(offset_delete(self.bob, group, {topic: [0]}), (GROUP_AUTHORIZATION_FAILED, {}))
            self.assertEqual(self.group_offsets(group), committed)
        # Delete on the group: OffsetDelete still needs Read on the topic.
        self.allow_bob("Delete", "--group", group)
        self.assertEqual(offset_delete(self.bob, group, {topic: [0]}), (NONE, {(topic, 0): TOPIC_AUTHORIZATION_FAILED}))
        self.assertEqual(self.group_offsets(group), committed)
        self.allow_bob("Read", "--topic", topic)
        self.assertEqual(offset_delete(self.bob, group, {topic: [0]}), (NONE, {(topic, 0): NONE}))
        self.assertEqual(self.group_offsets(group), {(topic, 1): 5})
        self.assertEqual(dict(kadmin.delete_consumer_groups([group], group_coordinator_id=0)), {group: NoError})
        self.assertEqual(self.group_offsets(group), {})

    def test_describe_log_dirs_needs_describe_on_the_cluster(self):
        topic = unique("dirs")
        self.create_topics(topic)
        self.assertEqual(self.produce("admin", topic, [b"x" * 100]), [None])
        self.assertEqual(describe_log_dirs(self.bob, version=4), (CLUSTER_AUTHORIZATION_FAILED, []))
        self.assertEqual(describe_log_dirs(self.bob, version=0), (None, []))  # no error field before v3
        # Describe on a topic is not Describe on the cluster.
        self.allow_bob("Describe", "--topic", topic)
        self.assertEqual(describe_log_dirs(self.bob, {topic: [0]}, version=4), (CLUSTER_AUTHORIZATION_FAILED, []))
        self.allow_bob("Describe", "--cluster")
        for version in (0, 4):
            top_error, [d] = describe_log_dirs(self.bob, {topic: [0]}, version=version)
            self.assertIn(top_error, (None, NONE))
            self.assertEqual((d["error"], d["dir"], list(d["topics"])),
                             (NONE, os.path.abspath(self.broker.data_dir), [topic]))
            self.assertGreater(d["topics"][topic][0], 100)

    def test_describe_cluster_reports_the_cluster_operations_allowed(self):
        def operations(connect):
            d = describe_cluster(connect, 0, include_operations=True)
            self.assertEqual((d["error"], d["controller_id"]), (NONE, 0))  # DescribeCluster itself needs no ACL
            return d["operations"]

        self.assertEqual(describe_cluster(self.bob, 1)["operations"], -2**31)  # not asked for
        self.assertEqual(operations(self.bob), 0)  # no Describe on the cluster: none, as Kafka
        self.allow_bob_on_the_cluster("IDEMPOTENT_WRITE")
        self.assertEqual(operations(self.bob), 0)  # still no Describe
        self.allow_bob_on_the_cluster("DESCRIBE")
        self.assertEqual(operations(self.bob), 1 << DESCRIBE | 1 << IDEMPOTENT_WRITE)
        self.allow_bob_on_the_cluster("ALTER_CONFIGS")  # implies DescribeConfigs
        self.assertEqual(operations(self.bob),
                         1 << DESCRIBE | 1 << IDEMPOTENT_WRITE | 1 << ALTER_CONFIGS | 1 << DESCRIBE_CONFIGS)
        # A super user: every cluster operation.
        self.assertEqual(operations(sasl_plain(self.broker.sasl_port, "admin")),
                         sum(1 << op for op in (CREATE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS,
                                                ALTER_CONFIGS, IDEMPOTENT_WRITE)))


class DurableAclsTest(AclCase):
    """`rivulet acls --data-dir` on a stopped broker's directory."""

    def test_offline_acls_are_enforced_and_online_ones_kept(self):
        online, offline, neither = unique("online"), unique("offline"), unique("neither")
        self.create_topics(online, offline, neither)
        self.acls("--add", "--allow-principal", "User:bob", "--operation", "Write", "--topic", online)
        self.assertEqual(self.produce("bob", online, [b"on-1"]), [None])
        self.assertEqual(self.broker.stop(), 0)
        try:
            def offline_acls(*args):
                r = subprocess.run([RIVULET, "acls", "--data-dir", self.broker.data_dir, *args], capture_output=True,
                                   timeout=60)
                self.assertEqual(r.returncode, 0, r.stderr.decode())
                return r.stdout.decode()

            listing = offline_acls("--list")
            self.assertIn(f"Current ACLs for resource `ResourcePattern(resourceType=TOPIC, name={online}, "
                          "patternType=LITERAL)`:\n \t(principal=User:bob, host=*, operation=WRITE, "
                          "permissionType=ALLOW)\n", listing)
            offline_acls("--add", "--allow-principal", "User:bob", "--operation", "Write", "--topic", offline)
            self.assertIn(f"name={offline},", offline_acls("--list", "--topic", offline))
        finally:
            self.broker.start()
        self.assertEqual(self.produce("bob", offline, [b"off-1"]), [None])
        self.assertEqual(self.produce("bob", online, [b"on-2"]), [None])
        self.assert_codes(self.produce("bob", neither, [b"no"]), TOPIC_AUTHORIZATION_FAILED)
        listing = self.acls("--list", "--principal", "User:bob")
        self.assertIn(f"name={online},", listing)
        self.assertIn(f"name={offline},", listing)
        self.assertEqual(self.read_all(online), [b"on-1", b"on-2"])
        self.assertEqual(self.read_all(offline), [b"off-1"])
        self.assertEqual(self.end_offset(neither), 0)


class AllowEveryoneTest(AclCase):
    broker_config = dict(AclCase.broker_config, **{"allow.everyone.if.no.acl.found": "true"})

    def test_resources_without_acls_are_open(self):
        free, alices = unique("free"), unique("alices")
        self.create_topics(free, alices)
        self.acls("--add", "--allow-principal", "User:alice", "--operation", "Write", "--topic", alices)
        # No ACL names `free`: bob may use it, group and all.
        self.assertEqual(self.produce("bob", free, [b"f1", b"f2"]), [None, None])
        c = Consumer(self.conf("bob", **{"group.id": "bobs", "auto.offset.reset": "earliest"}))
        c.subscribe([free])
        got = []
        deadline = time.time() + 20
        try:
            while len(got) < 2 and time.time() < deadline:
                m = c.poll(0.2)
                if m is not None:
                    self.assertIsNone(m.error(), m.error())
                    got.append(m.value())
        finally:
            c.close()
        self.assertEqual(got, [b"f1", b"f2"])
        # An ACL names `alices`: only what it allows, and only for alice.
        self.assert_codes(self.produce("bob", alices, [b"b"]), TOPIC_AUTHORIZATION_FAILED)
        topics = AdminClient(self.conf("bob")).list_topics(timeout=10).topics
        self.assertIn(free, topics)
        self.assertNotIn(alices, topics)
        self.assertEqual(self.produce("alice", alices, [b"a"]), [None])
        self.assertEqual(self.read_all(alices), [b"a"])
        # The cluster has no ACL either, so bob may even manage ACLs.
        self.assertIn(f"name={alices},", self.acls("--list", user="bob"))


def describe_acls_v1(port):
    """A DescribeAcls v1 request for every ACL on `port`: (error_code, message)."""
    def nullable(s):
        return struct.pack(">h", -1) if s is None else struct.pack(">h", len(s)) + s.encode()
    body = struct.pack(">b", 1) + nullable(None) + struct.pack(">b", 1) + nullable(None) + nullable(None) + \
        struct.pack(">bb", 1, 1)
    _, resp = raw_request(port, 29, 1, body)
    error, n = struct.unpack(">hh", resp[4:8])
    return error, resp[8:8 + n].decode() if n >= 0 else None


class NoAuthorizerTest(AclCase):
    broker_config = {}

    def test_acl_apis_are_disabled_and_everything_is_allowed(self):
        from kafka import KafkaAdminClient
        from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType,
                                 ResourcePattern, ResourcePatternFilter, ResourceType)
        from kafka.errors import SecurityDisabledError
        error, message = describe_acls_v1(self.broker.port)
        self.assertEqual(error, SECURITY_DISABLED)
        self.assertIn("authorizer", message)
        admin = KafkaAdminClient(**self.kp_conf("bob"))
        try:
            with self.assertRaises(SecurityDisabledError):
                admin.describe_acls(ACLFilter(principal=None, host=None, operation=ACLOperation.ANY,
                                              permission_type=ACLPermissionType.ANY,
                                              resource_pattern=ResourcePatternFilter(
                                                  ResourceType.ANY, None, ACLResourcePatternType.ANY)))
            result = admin.create_acls([ACL(principal="User:bob", host="*", operation=ACLOperation.WRITE,
                                            permission_type=ACLPermissionType.ALLOW,
                                            resource_pattern=ResourcePattern(ResourceType.TOPIC, "t"))])
            self.assertEqual(result["succeeded"], [])
            self.assertIs(result["failed"][0][1], SecurityDisabledError)
        finally:
            admin.close()
        r = self.rivulet("acls", "--list", user="bob")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn(b"Kafka error 54", r.stderr)

        # Everything is allowed: bob creates by producing, consumes in a
        # group, commits, runs an idempotent producer; ANONYMOUS too.
        topic = unique("open")
        self.assertEqual(self.produce("bob", topic, [b"o1", b"o2"], **{"enable.idempotence": True}), [None, None])
        got, committed = self.consume_and_commit("bob", topic, "open-group", 2)
        self.assertEqual(got, [b"o1", b"o2"])
        self.assertEqual([(tp.offset, tp.error) for tp in committed], [(2, None)])
        p = Producer({"bootstrap.servers": self.broker.bootstrap})
        p.produce(topic, value=b"anonymous")
        self.assertEqual(p.flush(15), 0)
        self.assertEqual(self.end_offset(topic), 3)
        r = self.rivulet("users", "--list", user="bob")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn(b"alice", r.stdout)


if __name__ == "__main__":
    unittest.main()
