"""Kafka's admin APIs against a real `rivulet broker`, driven by the real
admin clients wherever they have the call, by hand-built requests where
neither does: DescribeConfigs, AlterConfigs, IncrementalAlterConfigs,
CreatePartitions, DeleteRecords, DescribeLogDirs, DescribeCluster,
DeleteGroups, OffsetDelete, OffsetCommit v0-1 (with OffsetFetch v0-1, what
old clients read their commits back with) and the standalone commit that
resets an idle group's offsets. Each test checks the effect (what a
describe, a consumer or the watermarks show afterwards), not only that the
call returned; refusals must leave everything as it was.

What Debian's clients lack, and so goes by hand (call() below; test_acls.py
sends the same requests as SASL users):
- confluent-kafka 1.7.0 (librdkafka 2.0.2) AdminClient has create_topics,
  delete_topics, create_partitions, describe_configs, alter_configs,
  list_topics and list_groups; it lacks incremental_alter_configs (2.2),
  delete_records (2.4), describe_cluster (2.3), delete_consumer_groups
  (1.9), describe_consumer_groups, list_consumer_group_offsets and
  alter_consumer_group_offsets (2.0). The offsets reset is therefore what
  librdkafka's AdminClient sends for alter_consumer_group_offsets, an
  OffsetCommit outside any generation, made with Consumer.commit(offsets=)
  by a consumer that never joins; its cluster view comes from list_topics.
- kafka-python 2.0.2 KafkaAdminClient has describe_configs, alter_configs,
  create_partitions, delete_consumer_groups, list_consumer_groups,
  list_consumer_group_offsets and describe_cluster (answered from Metadata,
  not the DescribeCluster API); it lacks incremental_alter_configs,
  delete_records, describe_log_dirs and any OffsetDelete. Its KafkaConsumer
  with api_version=(0, 8, 1) / (0, 8, 2) sends OffsetCommit v0 / v1 and
  OffsetFetch v0 / v1.
So IncrementalAlterConfigs (v0, v1), DeleteRecords (v0, v2), DescribeLogDirs
(v0, v4), DescribeCluster (v0, v1), OffsetDelete (v0) and DeleteGroups v2 are
hand-built here.
"""
import os
import shutil
import socket
import struct
import tempfile
import threading
import time
import unittest

from broker_fixture import TAGS, Broker, WireReader, array, i8, i32, i64, read_response, string, unique

import kafka
import kafka.admin
import kafka.conn
import kafka.errors
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, NewPartitions, NewTopic
from kafka.admin import ConfigResource as KConfigResource
from kafka.admin import ConfigResourceType
from kafka.structs import OffsetAndMetadata

# Kafka's error codes.
NONE = 0
OFFSET_OUT_OF_RANGE = 1
UNKNOWN_TOPIC_OR_PARTITION = 3
UNKNOWN_MEMBER_ID = 25
INVALID_CONFIG = 40
INVALID_REQUEST = 42
NON_EMPTY_GROUP = 68
GROUP_ID_NOT_FOUND = 69
GROUP_SUBSCRIBED_TO_TOPIC = 86

# API keys of the hand-built requests.
OFFSET_COMMIT, DELETE_RECORDS, DESCRIBE_LOG_DIRS, DELETE_GROUPS = 8, 21, 35, 42
INCREMENTAL_ALTER_CONFIGS, OFFSET_DELETE, DESCRIBE_CLUSTER = 44, 47, 60

# ConfigResource types and IncrementalAlterConfigs operations.
TOPIC, BROKER = 2, 4
SET, DELETE, APPEND, SUBTRACT = 0, 1, 2, 3

# The broker of every test: one setting changed in server.properties, so
# that a topic shows a STATIC_BROKER_CONFIG source.
BROKER_CONFIG = {"group.initial.rebalance.delay.ms": "0", "num.partitions": "1", "log.segment.bytes": "1048576"}

# Every topic setting with its value on that broker when not overridden.
TOPIC_DEFAULTS = {
    "cleanup.policy": "delete",
    "compression.type": "producer",
    "flush.messages": "9223372036854775807",
    "flush.ms": "9223372036854775807",
    "index.interval.bytes": "4096",
    "max.message.bytes": "1048588",
    "message.timestamp.type": "CreateTime",
    "min.insync.replicas": "1",
    "retention.bytes": "-1",
    "retention.ms": "604800000",
    "segment.bytes": "1048576",  # log.segment.bytes above
    "segment.ms": "604800000",
}


# ---- hand-built requests ----
# Encoders and WireReader: broker_fixture.py.

def call(port, key, version, body, flexible=False):
    """One request (header v1, or v2 when flexible); the response body's
    WireReader (past response header v1's tag section when flexible). `port`
    is the broker's port, or a function that returns a connected socket
    (test_acls.py's sasl_plain: one authenticated as a user); the helpers
    below pass theirs on, so take either."""
    header = struct.pack(">hhih", key, version, 11, 5) + b"admin" + (TAGS if flexible else b"")
    s = port() if callable(port) else socket.create_connection(("127.0.0.1", port), timeout=10)
    with s:
        s.sendall(i32(len(header) + len(body)) + header + body)
        resp = read_response(s)
    assert resp is not None, f"API {key} v{version}: connection closed"
    assert resp[0] == 11
    r = WireReader(resp[1], flexible=flexible)
    r.tags()
    return r


def incremental_alter_configs(port, resources, version=0, validate_only=False):
    """resources: [(type, name, [(config, op, value)])]; returns
    {(type, name): (error, message)}."""
    fl = version >= 1
    body = array([i8(t) + string(n, fl) + array([string(c, fl) + i8(op) + string(v, fl) + (TAGS if fl else b"")
                                                 for c, op, v in configs], fl) + (TAGS if fl else b"")
                  for t, n, configs in resources], fl) + i8(validate_only) + (TAGS if fl else b"")
    r = call(port, INCREMENTAL_ALTER_CONFIGS, version, body, fl)
    r.i32()  # throttle
    out = {}
    for error, message, rtype, name in r.array(lambda r: (r.i16(), r.string(), r.i8(), r.string())):
        out[(rtype, name)] = (error, message)
    r.done()
    return out


def delete_records(port, topics, version=0):
    """topics: {topic: {partition: offset}}; returns {(topic, partition):
    (low_watermark, error)}."""
    fl = version >= 2
    body = array([string(t, fl) + array([i32(p) + i64(o) + (TAGS if fl else b"") for p, o in parts.items()], fl)
                  + (TAGS if fl else b"") for t, parts in topics.items()], fl) + i32(10000) + (TAGS if fl else b"")
    r = call(port, DELETE_RECORDS, version, body, fl)
    r.i32()
    out = {}
    for name, parts in r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i64(), r.i16())))):
        for p, low, error in parts:
            out[(name, p)] = (low, error)
    r.done()
    return out


def describe_log_dirs(port, topics=None, version=0):
    """topics: {topic: [partitions]} or None for all; returns (top-level
    error or None before v3, [{dir, error, total, usable, topics: {topic:
    {partition: size}}}])."""
    fl = version >= 2
    body = array(None if topics is None else
                 [string(t, fl) + array([i32(p) for p in parts], fl) + (TAGS if fl else b"")
                  for t, parts in topics.items()], fl) + (TAGS if fl else b"")
    r = call(port, DESCRIBE_LOG_DIRS, version, body, fl)
    r.i32()
    top_error = r.i16() if version >= 3 else None

    def partition(r):
        index, size = r.i32(), r.i64()
        r.i64(), r.bool()  # offset lag, is_future_key
        return index, size

    def log_dir(r):
        d = {"error": r.i16(), "dir": r.string()}
        d["topics"] = {name: dict(parts) for name, parts in r.array(lambda r: (r.string(), r.array(partition)))}
        if version >= 4:
            d["total"], d["usable"] = r.i64(), r.i64()
        return d

    dirs = r.array(log_dir)
    r.done()
    return top_error, dirs


def describe_cluster(port, version=0, include_operations=False, endpoint_type=1):
    body = i8(include_operations) + (i8(endpoint_type) if version >= 1 else b"") + TAGS
    r = call(port, DESCRIBE_CLUSTER, version, body, flexible=True)
    out = {"throttle": r.i32(), "error": r.i16(), "message": r.string()}
    if version >= 1:
        out["endpoint_type"] = r.i8()
    out["cluster_id"], out["controller_id"] = r.string(), r.i32()
    out["brokers"] = r.array(lambda r: (r.i32(), r.string(), r.i32(), r.string()))
    out["operations"] = r.i32()
    r.done()
    return out


def offset_delete(port, group, topics):
    """topics: {topic: [partitions]}; returns (group error, {(topic,
    partition): error})."""
    body = string(group) + array([string(t) + array([i32(p) for p in parts]) for t, parts in topics.items()])
    r = call(port, OFFSET_DELETE, 0, body)
    error = r.i16()  # before the throttle time in this response
    r.i32()
    out = {}
    for name, parts in r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16())))):
        for p, e in parts:
            out[(name, p)] = e
    r.done()
    return error, out


def offset_commit_v0(port, group, topic, offsets):
    """OffsetCommit v0 (no generation, no member); {partition: error}."""
    body = string(group) + array([string(topic) + array([i32(p) + i64(o) + string("") for p, o in offsets.items()])])
    r = call(port, OFFSET_COMMIT, 0, body)
    out = {}
    for _name, parts in r.array(lambda r: (r.string(), r.array(lambda r: (r.i32(), r.i16())))):
        out.update(dict(parts))
    r.done()
    return out


def delete_groups_v2(port, groups):
    """DeleteGroups v2 (flexible); {group: error}."""
    r = call(port, DELETE_GROUPS, 2, array([string(g, True) for g in groups], True) + TAGS, flexible=True)
    r.i32()
    out = dict(r.array(lambda r: (r.string(), r.i16())))
    r.done()
    return out


class SentRequests:
    """Records the request classes kafka-python sends while active (which
    OffsetCommit / OffsetFetch versions an api_version pin picks)."""

    def __enter__(self):
        self.names, self.orig = [], kafka.conn.BrokerConnection.send
        orig, names = self.orig, self.names

        def send(conn, request, **kw):
            names.append(type(request).__name__)
            return orig(conn, request, **kw)

        kafka.conn.BrokerConnection.send = send
        return self

    def __exit__(self, *exc):
        kafka.conn.BrokerConnection.send = self.orig


class AdminCase(unittest.TestCase):
    """One broker for the class; both admin clients on it, and helpers."""

    @classmethod
    def setUpClass(cls):
        cls.broker = Broker(config=BROKER_CONFIG).start()
        cls.admin = AdminClient({"bootstrap.servers": cls.broker.bootstrap})
        cls.kadmin = kafka.admin.KafkaAdminClient(bootstrap_servers=cls.broker.bootstrap, request_timeout_ms=15000)

    @classmethod
    def tearDownClass(cls):
        cls.kadmin.close()
        code = cls.broker.stop()
        cls.broker.cleanup()
        assert code == 0, f"broker exited with {code}"

    @property
    def port(self):
        return self.broker.port

    def conf(self, **extra):
        conf = {"bootstrap.servers": self.broker.bootstrap}
        conf.update(extra)
        return conf

    def create_topic(self, name, partitions=1, config=None):
        fs = self.admin.create_topics([NewTopic(name, partitions, 1, config=config or {})])
        fs[name].result(timeout=15)

    def produce(self, topic, count, partition=None, keyed=False, start=0):
        p = Producer(self.conf(**{"message.timeout.ms": 10000}))
        errors = []
        for i in range(start, start + count):
            kw = {"key": b"key-%d" % i} if keyed else {}
            if partition is not None:
                kw["partition"] = partition
            p.produce(topic, value=b"%d" % i, on_delivery=lambda err, msg: errors.append(err), **kw)
        self.assertEqual(p.flush(20), 0, "undelivered records")
        self.assertEqual(errors, [None] * count)

    def watermarks(self, topic, partition=0):
        c = Consumer(self.conf(**{"group.id": unique("wm")}))
        try:
            return c.get_watermark_offsets(TopicPartition(topic, partition), timeout=10)
        finally:
            c.close()

    def partition_count(self, topic):
        return len(self.admin.list_topics(topic, timeout=10).topics[topic].partitions)

    def read_partition(self, topic, partition, offset=OFFSET_BEGINNING):
        """[(offset, value)] of `partition` from `offset` to its end."""
        c = Consumer(self.conf(**{"group.id": unique("read"), "enable.partition.eof": True,
                                  "enable.auto.commit": False}))
        c.assign([TopicPartition(topic, partition, offset)])
        got = []
        deadline = time.time() + 15
        try:
            while time.time() < deadline:
                m = c.poll(0.2)
                if m is None:
                    continue
                if m.error() is None:
                    got.append((m.offset(), m.value()))
                elif m.error().code() == KafkaError._PARTITION_EOF:
                    return got
                else:
                    self.fail(m.error())
        finally:
            c.close()
        self.fail(f"no end of {topic}/{partition} within 15 s")

    def consume_group(self, topic, group, count):
        """Subscribes in `group`, reads `count` records (20 s at most),
        commits and closes: the group is left empty. Returns the values."""
        c = Consumer(self.conf(**{"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False}))
        c.subscribe([topic])
        got = []
        deadline = time.time() + 20
        try:
            while len(got) < count and time.time() < deadline:
                m = c.poll(0.2)
                if m is not None:
                    self.assertIsNone(m.error(), m.error())
                    got.append(m.value())
            if got:
                c.commit(asynchronous=False)
        finally:
            c.close()
        return got

    def active_member(self, topics, group):
        """A confluent consumer of `group` subscribed to `topics`, returned
        once it has its assignment (librdkafka heartbeats on its own
        thread, so it stays a member until closed)."""
        c = Consumer(self.conf(**{"group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False,
                                  "session.timeout.ms": 10000}))
        c.subscribe(topics)
        deadline = time.time() + 20
        while not c.assignment() and time.time() < deadline:
            c.poll(0.2)
        if not c.assignment():
            c.close()
            self.fail(f"no assignment in {group} within 20 s")
        return c

    def group_offsets(self, group):
        """{(topic, partition): offset} as kafka-python's admin lists them."""
        offsets = self.kadmin.list_consumer_group_offsets(group)
        return {(tp.topic, tp.partition): om.offset for tp, om in offsets.items()}

    def standalone_commit(self, group, offsets):
        """librdkafka's commit outside any generation (what its
        alter_consumer_group_offsets sends) by a consumer that never joins:
        offsets {(topic, partition): offset}. Returns the KafkaError or None."""
        c = Consumer(self.conf(**{"group.id": group, "enable.auto.commit": False}))
        try:
            c.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()], asynchronous=False)
            return None
        except KafkaException as e:
            return e.args[0]
        finally:
            c.close()


class ConfigsTest(AdminCase):
    """DescribeConfigs, AlterConfigs and IncrementalAlterConfigs."""

    def describe(self, topic):
        """{name: (value, source)} of a topic, through confluent-kafka."""
        fs = self.admin.describe_configs([ConfigResource("topic", topic)])
        entries = list(fs.values())[0].result(timeout=15)
        return {name: (e.value, e.source) for name, e in entries.items()}

    def overrides(self, topic):
        return {n: v for n, (v, source) in self.describe(topic).items()
                if source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value}

    def expected(self, overrides):
        return {**TOPIC_DEFAULTS, **overrides}

    def test_describe_topic_confluent(self):
        topic = unique("desc")
        self.create_topic(topic, config={"retention.ms": "3600000", "max.message.bytes": "2097152"})
        fs = self.admin.describe_configs([ConfigResource("topic", topic)])
        entries = list(fs.values())[0].result(timeout=15)
        self.assertEqual({n: e.value for n, e in entries.items()},
                         self.expected({"retention.ms": "3600000", "max.message.bytes": "2097152"}))
        for name, e in entries.items():
            self.assertFalse(e.is_read_only, name)
            self.assertFalse(e.is_sensitive, name)
            if name in ("retention.ms", "max.message.bytes"):
                self.assertEqual(e.source, ConfigSource.DYNAMIC_TOPIC_CONFIG.value, name)
                self.assertFalse(e.is_default, name)
            elif name == "segment.bytes":
                self.assertEqual(e.source, ConfigSource.STATIC_BROKER_CONFIG.value, name)
                self.assertFalse(e.is_default, name)
            else:
                self.assertEqual(e.source, ConfigSource.DEFAULT_CONFIG.value, name)
                self.assertTrue(e.is_default, name)
        # librdkafka asks for synonyms: the override, then the broker's
        # setting it hides, under the server.properties name.
        synonyms = {n: (s.value, s.source) for n, s in entries["retention.ms"].synonyms.items()}
        self.assertEqual(synonyms, {"retention.ms": ("3600000", ConfigSource.DYNAMIC_TOPIC_CONFIG.value),
                                    "log.retention.ms": ("604800000", ConfigSource.DEFAULT_CONFIG.value)})
        self.assertIn("message.max.bytes", entries["max.message.bytes"].synonyms)

    def test_describe_topic_kafka_python(self):
        topic = unique("kdesc")
        self.create_topic(topic, config={"retention.bytes": "123456789"})
        [resp] = self.kadmin.describe_configs([KConfigResource(ConfigResourceType.TOPIC, topic)], include_synonyms=True)
        self.assertEqual(resp.API_VERSION, 2)
        [(error, message, rtype, name, entries)] = resp.resources
        self.assertEqual((error, rtype, name), (NONE, TOPIC, topic), message)
        values = {e[0]: e[1] for e in entries}
        self.assertEqual(values, self.expected({"retention.bytes": "123456789"}))
        by_name = {e[0]: e for e in entries}
        _, _, read_only, source, sensitive, synonyms = by_name["retention.bytes"]
        self.assertEqual((read_only, source, sensitive), (False, 1, False))  # DYNAMIC_TOPIC_CONFIG
        self.assertEqual([tuple(s) for s in synonyms],
                         [("retention.bytes", "123456789", 1), ("log.retention.bytes", "-1", 5)])
        self.assertEqual(by_name["segment.bytes"][3], 4)  # STATIC_BROKER_CONFIG
        self.assertEqual(by_name["retention.ms"][3], 5)  # DEFAULT_CONFIG
        # Asked for two keys: those two only.
        [resp] = self.kadmin.describe_configs(
            [KConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.bytes": None, "segment.ms": None})])
        self.assertEqual({e[0]: e[1] for e in resp.resources[0][4]},
                         {"retention.bytes": "123456789", "segment.ms": "604800000"})

    def test_describe_broker(self):
        fs = self.admin.describe_configs([ConfigResource("broker", "0")])
        entries = list(fs.values())[0].result(timeout=15)
        self.assertIn("log.retention.ms", entries)
        for name, e in entries.items():
            self.assertTrue(e.is_read_only, name)
        self.assertEqual(entries["log.segment.bytes"].value, "1048576")
        self.assertEqual(entries["log.segment.bytes"].source, ConfigSource.STATIC_BROKER_CONFIG.value)
        self.assertEqual(entries["log.retention.ms"].value, "604800000")
        self.assertEqual(entries["log.retention.ms"].source, ConfigSource.DEFAULT_CONFIG.value)
        self.assertEqual(entries["num.partitions"].value, "1")
        [resp] = self.kadmin.describe_configs([KConfigResource(ConfigResourceType.BROKER, "0")])
        [(error, message, rtype, name, kentries)] = resp.resources
        self.assertEqual((error, rtype, name), (NONE, BROKER, "0"), message)
        self.assertEqual({e[0]: e[1] for e in kentries}, {n: e.value for n, e in entries.items()})
        self.assertTrue(all(e[2] for e in kentries), "broker settings must be read-only")

    def test_describe_unknown_topic(self):
        topic = unique("desc")
        self.create_topic(topic)
        missing = unique("missing")
        fs = self.admin.describe_configs([ConfigResource("topic", missing), ConfigResource("topic", topic)])
        for res, f in fs.items():
            if res.name == missing:
                with self.assertRaises(KafkaException) as cm:
                    f.result(timeout=15)
                self.assertEqual(cm.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)
            else:
                self.assertEqual(len(f.result(timeout=15)), len(TOPIC_DEFAULTS))  # the other resource is answered
        [resp] = self.kadmin.describe_configs([KConfigResource(ConfigResourceType.TOPIC, missing)])
        self.assertEqual(resp.resources[0][0], UNKNOWN_TOPIC_OR_PARTITION)
        self.assertEqual(resp.resources[0][4], [])

    def test_alter_configs_kafka_python_replaces_overrides(self):
        topic = unique("alter")
        self.create_topic(topic, config={"retention.ms": "3600000", "max.message.bytes": "2097152"})
        configs = {"retention.bytes": "5000000", "segment.ms": "3600000"}
        resp = self.kadmin.alter_configs([KConfigResource(ConfigResourceType.TOPIC, topic, configs=configs)])
        self.assertEqual([(e, t, n) for e, _, t, n in resp.resources], [(NONE, TOPIC, topic)])
        # AlterConfigs replaces: the overrides made at creation are gone.
        self.assertEqual(self.overrides(topic), configs)
        described = self.describe(topic)
        self.assertEqual({n: v for n, (v, _) in described.items()},
                         self.expected(configs))
        self.assertEqual(described["retention.ms"], ("604800000", ConfigSource.DEFAULT_CONFIG.value))

    def test_alter_configs_confluent(self):
        topic = unique("calter")
        self.create_topic(topic, config={"retention.bytes": "5000000"})
        altered = {"retention.ms": "120000", "message.timestamp.type": "LogAppendTime"}
        fs = self.admin.alter_configs([ConfigResource("topic", topic, set_config=altered)])
        self.assertIsNone(list(fs.values())[0].result(timeout=15))
        self.assertEqual(self.overrides(topic), altered)
        # validate_only checks and changes nothing.
        fs = self.admin.alter_configs([ConfigResource("topic", topic, set_config={"segment.ms": "1000"})],
                                      validate_only=True)
        self.assertIsNone(list(fs.values())[0].result(timeout=15))
        self.assertEqual(self.overrides(topic), altered)
        # LogAppendTime is in effect: the broker stamps records itself.
        p = Producer(self.conf())
        p.produce(topic, value=b"x", timestamp=1000)
        self.assertEqual(p.flush(15), 0)
        c = Consumer(self.conf(**{"group.id": unique("ts")}))
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        try:
            m = None
            deadline = time.time() + 15
            while m is None and time.time() < deadline:
                m = c.poll(0.2)
            self.assertIsNotNone(m)
            self.assertIsNone(m.error())
            kind, ts = m.timestamp()
            self.assertEqual(kind, 2)  # TIMESTAMP_LOG_APPEND_TIME
            self.assertGreater(ts, 1000)
        finally:
            c.close()

    def test_invalid_alter_changes_nothing(self):
        topic = unique("bad")
        self.create_topic(topic, config={"retention.ms": "3600000"})
        before = self.describe(topic)
        for configs in ({"retention.ms": "abc"}, {"no.such.setting": "1"}, {"message.timestamp.type": "Sometimes"},
                        {"retention.ms": "60000", "segment.bytes": "1"}):  # one valid, one below the minimum
            resp = self.kadmin.alter_configs([KConfigResource(ConfigResourceType.TOPIC, topic, configs=configs)])
            [(error, message, rtype, name)] = resp.resources
            self.assertEqual(error, INVALID_CONFIG, configs)
            self.assertTrue(message, configs)
            fs = self.admin.alter_configs([ConfigResource("topic", topic, set_config=configs)])
            with self.assertRaises(KafkaException) as cm:
                list(fs.values())[0].result(timeout=15)
            self.assertEqual(cm.exception.args[0].code(), KafkaError.INVALID_CONFIG, configs)
            self.assertEqual(self.describe(topic), before, configs)
        resp = self.kadmin.alter_configs([KConfigResource(ConfigResourceType.TOPIC, unique("missing"),
                                                          configs={"retention.ms": "1000"})])
        self.assertEqual(resp.resources[0][0], UNKNOWN_TOPIC_OR_PARTITION)

    def test_incremental_alter_configs(self):
        topic = unique("incr")
        self.create_topic(topic, config={"retention.ms": "3600000", "segment.ms": "7200000"})
        res = incremental_alter_configs(self.port, [(TOPIC, topic, [("retention.bytes", SET, "7777777"),
                                                                    ("segment.ms", DELETE, None)])])
        self.assertEqual(res, {(TOPIC, topic): (NONE, None)})
        # Incremental: the untouched override stays.
        self.assertEqual(self.overrides(topic), {"retention.ms": "3600000", "retention.bytes": "7777777"})
        # v1 (flexible); DELETE of a setting that has no override is a no-op.
        res = incremental_alter_configs(self.port, [(TOPIC, topic, [("retention.ms", SET, "60000"),
                                                                    ("flush.ms", DELETE, None)])], version=1)
        self.assertEqual(res, {(TOPIC, topic): (NONE, None)})
        expected = {"retention.ms": "60000", "retention.bytes": "7777777"}
        self.assertEqual(self.overrides(topic), expected)
        # Refused whole, nothing changed: APPEND to a setting that is not a
        # list; a bad value beside a good one; an unknown setting.
        for configs in ([("retention.ms", APPEND, "1000")],
                        [("retention.bytes", SET, "1"), ("segment.bytes", SET, "1")],
                        [("no.such.setting", SET, "1")],
                        [("retention.ms", SET, None)]):
            [(error, message)] = incremental_alter_configs(self.port, [(TOPIC, topic, configs)]).values()
            self.assertIn(error, (INVALID_CONFIG, INVALID_REQUEST), configs)  # Kafka: INVALID_REQUEST for APPEND
            self.assertTrue(message, configs)
            self.assertEqual(self.overrides(topic), expected, configs)
        # validate_only changes nothing.
        res = incremental_alter_configs(self.port, [(TOPIC, topic, [("retention.ms", DELETE, None)])],
                                        validate_only=True)
        self.assertEqual(res, {(TOPIC, topic): (NONE, None)})
        self.assertEqual(self.overrides(topic), expected)
        missing = unique("missing")
        res = incremental_alter_configs(self.port, [(TOPIC, missing, [("retention.ms", SET, "1")])])
        self.assertEqual(res[(TOPIC, missing)][0], UNKNOWN_TOPIC_OR_PARTITION)
        # A malformed request: a setting named twice.
        [(error, message)] = incremental_alter_configs(
            self.port, [(TOPIC, topic, [("retention.ms", SET, "1"), ("retention.ms", DELETE, None)])]).values()
        self.assertEqual(error, INVALID_REQUEST)
        self.assertEqual(self.overrides(topic), expected)
        # APPEND and SUBTRACT on a list setting (cleanup.policy, from its
        # default "delete").
        res = incremental_alter_configs(self.port, [(TOPIC, topic, [("cleanup.policy", APPEND, "compact")])])
        self.assertEqual(res, {(TOPIC, topic): (NONE, None)})
        self.assertEqual(self.overrides(topic)["cleanup.policy"], "delete,compact")
        res = incremental_alter_configs(self.port, [(TOPIC, topic, [("cleanup.policy", SUBTRACT, "delete")])])
        self.assertEqual(res, {(TOPIC, topic): (NONE, None)})
        self.assertEqual(self.overrides(topic)["cleanup.policy"], "compact")

    def test_concurrent_incremental_alters_of_different_keys_all_apply(self):
        topic = unique("race")
        self.create_topic(topic)
        keys = [("retention.ms", "%d" % (3600000 + i)) for i in range(1)] + [
            ("retention.bytes", "123456789"), ("segment.ms", "7200000"), ("flush.ms", "1000"),
            ("flush.messages", "1000"), ("max.message.bytes", "2000000"), ("index.interval.bytes", "8192")]
        threads = [threading.Thread(target=incremental_alter_configs,
                                    args=(self.port, [(TOPIC, topic, [(k, SET, v)])])) for k, v in keys]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        self.assertEqual(self.overrides(topic), dict(keys))

    def test_altering_the_broker_is_refused(self):
        resp = self.kadmin.alter_configs([KConfigResource(ConfigResourceType.BROKER, "0",
                                                          configs={"log.retention.ms": "1000"})])
        [(error, message, rtype, name)] = resp.resources
        self.assertEqual((error, rtype, name), (INVALID_CONFIG, BROKER, "0"))
        self.assertIn("server.properties", message)
        fs = self.admin.alter_configs([ConfigResource("broker", "0", set_config={"log.retention.ms": "1000"})])
        with self.assertRaises(KafkaException) as cm:
            list(fs.values())[0].result(timeout=15)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.INVALID_CONFIG)
        self.assertIn("server.properties", cm.exception.args[0].str())
        res = incremental_alter_configs(self.port, [(BROKER, "0", [("log.retention.ms", SET, "1000")])])
        [(error, message)] = res.values()
        self.assertEqual(error, INVALID_CONFIG)
        fs = self.admin.describe_configs([ConfigResource("broker", "0")])
        self.assertEqual(list(fs.values())[0].result(timeout=15)["log.retention.ms"].value, "604800000")


class PartitionsTest(AdminCase):
    """CreatePartitions."""

    def test_grow_then_keyed_records_reach_new_partitions(self):
        topic = unique("grow")
        self.create_topic(topic, 1)
        self.produce(topic, 10, keyed=True)
        fs = self.admin.create_partitions([NewPartitions(topic, 4)])
        self.assertIsNone(fs[topic].result(timeout=15))
        self.assertEqual(self.partition_count(topic), 4)
        self.assertEqual(self.watermarks(topic, 0), (0, 10))  # the old partition keeps its records
        # A new producer sees four partitions; its keyed records spread over
        # them (librdkafka's murmur2 partitioner, as Java's).
        self.produce(topic, 400, keyed=True, start=10)
        highs = [self.watermarks(topic, p)[1] for p in range(4)]
        self.assertEqual(sum(highs), 410)
        for p in (1, 2, 3):
            self.assertGreater(highs[p], 0, f"no record in new partition {p}: {highs}")
        records = self.read_partition(topic, 3)
        self.assertEqual([o for o, _ in records], list(range(highs[3])))
        # kafka-python grows it again; validate_only leaves it alone.
        self.kadmin.create_partitions({topic: kafka.admin.NewPartitions(6)})
        self.assertEqual(self.partition_count(topic), 6)
        self.kadmin.create_partitions({topic: kafka.admin.NewPartitions(8)}, validate_only=True)
        self.assertEqual(self.partition_count(topic), 6)
        self.produce(topic, 5, partition=5)
        self.assertEqual(self.watermarks(topic, 5), (0, 5))

    def test_shrinking_is_refused(self):
        topic = unique("shrink")
        self.create_topic(topic, 3)
        for count in (2, 3):  # fewer, or as many
            fs = self.admin.create_partitions([NewPartitions(topic, count)])
            with self.assertRaises(KafkaException) as cm:
                fs[topic].result(timeout=15)
            self.assertEqual(cm.exception.args[0].code(), KafkaError.INVALID_PARTITIONS)
        with self.assertRaises(kafka.errors.InvalidPartitionsError):
            self.kadmin.create_partitions({topic: kafka.admin.NewPartitions(1)})
        self.assertEqual(self.partition_count(topic), 3)
        missing = unique("missing")
        fs = self.admin.create_partitions([NewPartitions(missing, 4)])
        with self.assertRaises(KafkaException) as cm:
            fs[missing].result(timeout=15)
        self.assertEqual(cm.exception.args[0].code(), KafkaError.UNKNOWN_TOPIC_OR_PART)


class RecordsAndClusterTest(AdminCase):
    """DeleteRecords, DescribeLogDirs, DescribeCluster."""

    def test_delete_records_moves_the_log_start(self):
        topic = unique("delrec")
        self.create_topic(topic, 2)
        self.produce(topic, 100, partition=0)
        self.produce(topic, 50, partition=1)
        res = delete_records(self.port, {topic: {0: 40, 1: -1}})  # -1: up to the high watermark
        self.assertEqual(res, {(topic, 0): (40, NONE), (topic, 1): (50, NONE)})
        self.assertEqual(self.watermarks(topic, 0), (40, 100))
        self.assertEqual(self.watermarks(topic, 1), (50, 50))
        records = self.read_partition(topic, 0)
        self.assertEqual(records[0], (40, b"40"))
        self.assertEqual(len(records), 60)
        self.assertEqual(self.read_partition(topic, 1), [])
        c = kafka.KafkaConsumer(bootstrap_servers=self.broker.bootstrap)  # ListOffsets earliest
        try:
            tps = [kafka.TopicPartition(topic, p) for p in (0, 1)]
            self.assertEqual(c.beginning_offsets(tps), {tps[0]: 40, tps[1]: 50})
        finally:
            c.close()
        # A group that starts from earliest starts at the new start.
        self.assertEqual(self.consume_group(topic, unique("after"), 60)[0], b"40")
        # v2 (flexible): the start never moves back; past the end, an
        # unknown partition and an unknown topic are refused.
        missing = unique("missing")
        res = delete_records(self.port, {topic: {0: 30, 1: 51, 7: 0}, missing: {0: 1}}, version=2)
        self.assertEqual(res, {(topic, 0): (40, NONE), (topic, 1): (-1, OFFSET_OUT_OF_RANGE),
                               (topic, 7): (-1, UNKNOWN_TOPIC_OR_PARTITION),
                               (missing, 0): (-1, UNKNOWN_TOPIC_OR_PARTITION)})
        self.assertEqual(self.watermarks(topic, 0), (40, 100))
        res = delete_records(self.port, {topic: {0: 99}}, version=1)
        self.assertEqual(res, {(topic, 0): (99, NONE)})
        self.assertEqual(self.read_partition(topic, 0), [(99, b"99")])

    def test_describe_log_dirs(self):
        topic, empty = unique("dirs"), unique("dirs-empty")
        self.create_topic(topic, 2)
        self.create_topic(empty, 1)
        self.produce(topic, 100, partition=0)
        self.produce(topic, 10, partition=1)
        data_dir = os.path.abspath(self.broker.data_dir)
        top_error, dirs = describe_log_dirs(self.port)
        self.assertIsNone(top_error)
        [d] = dirs
        self.assertEqual((d["error"], d["dir"]), (NONE, data_dir))
        sizes = d["topics"][topic]
        self.assertEqual(set(sizes), {0, 1})
        self.assertGreater(sizes[0], sizes[1])
        self.assertGreater(sizes[1], 0)
        self.assertEqual(set(d["topics"][empty]), {0})
        # Named partitions only; a topic the broker does not hold is left out.
        _, [d] = describe_log_dirs(self.port, {topic: [1], unique("missing"): [0]})
        self.assertEqual(d["topics"], {topic: {1: sizes[1]}})
        # v4 (flexible): the top-level error and the volume's sizes.
        top_error, [d] = describe_log_dirs(self.port, {topic: [0, 1]}, version=4)
        self.assertEqual(top_error, NONE)
        self.assertEqual((d["error"], d["dir"], d["topics"]), (NONE, data_dir, {topic: sizes}))
        self.assertGreater(d["total"], 0)
        self.assertGreater(d["usable"], 0)
        self.assertLessEqual(d["usable"], d["total"])
        # Sizes follow the data.
        self.produce(topic, 50, partition=1)
        _, [d] = describe_log_dirs(self.port, {topic: [1]})
        self.assertGreater(d["topics"][topic][1], sizes[1])

    def test_describe_cluster(self):
        md = self.admin.list_topics(timeout=10)  # confluent-kafka 1.7 has no describe_cluster
        self.assertEqual(md.controller_id, 0)
        self.assertEqual({b.id: (b.host, b.port) for b in md.brokers.values()}, {0: ("127.0.0.1", self.port)})
        cluster = self.kadmin.describe_cluster()  # from Metadata
        self.assertEqual(cluster["cluster_id"], md.cluster_id)
        self.assertEqual(cluster["controller_id"], 0)
        self.assertEqual([(b["node_id"], b["host"], b["port"]) for b in cluster["brokers"]],
                         [(0, "127.0.0.1", self.port)])
        # The DescribeCluster API itself, v0 and v1.
        d = describe_cluster(self.port, 0, include_operations=True)
        self.assertEqual((d["error"], d["cluster_id"], d["controller_id"]), (NONE, md.cluster_id, 0))
        self.assertEqual(d["brokers"], [(0, "127.0.0.1", self.port, None)])
        for op in (7, 8, 10, 11):  # ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS: no authorizer here
            self.assertTrue(d["operations"] & (1 << op), f"operation {op} missing from {d['operations']:#x}")
        d = describe_cluster(self.port, 1)
        self.assertEqual((d["error"], d["endpoint_type"], d["cluster_id"]), (NONE, 1, md.cluster_id))
        self.assertEqual(d["operations"], -2**31)  # not asked for
        d = describe_cluster(self.port, 1, endpoint_type=2)  # controllers: this is a broker endpoint
        self.assertNotEqual(d["error"], NONE)
        self.assertEqual(d["brokers"], [])


class GroupsTest(AdminCase):
    """DeleteGroups, OffsetDelete, OffsetCommit v0-1, standalone commits."""

    def test_delete_groups(self):
        topic = unique("delg")
        self.create_topic(topic)
        self.produce(topic, 20)
        idle, busy, missing = unique("idle"), unique("busy"), unique("missing")
        self.assertEqual(len(self.consume_group(topic, idle, 20)), 20)
        self.assertEqual(self.group_offsets(idle), {(topic, 0): 20})
        self.assertEqual(len(self.consume_group(topic, busy, 5)), 5)
        member = self.active_member([topic], busy)
        try:
            res = dict(self.kadmin.delete_consumer_groups([idle, busy, missing]))
            self.assertIs(res[idle], kafka.errors.NoError)
            self.assertIs(res[busy], kafka.errors.NonEmptyGroupError)
            self.assertIs(res[missing], kafka.errors.GroupIdNotFoundError)
            listed = [g for g, _ in self.kadmin.list_consumer_groups()]
            self.assertNotIn(idle, listed)
            self.assertIn(busy, listed)
            self.assertNotIn(idle, [g.id for g in self.admin.list_groups(timeout=10)])
            self.assertEqual(self.group_offsets(idle), {})
            self.assertEqual(delete_groups_v2(self.port, [busy]), {busy: NON_EMPTY_GROUP})
            self.assertEqual(self.group_offsets(busy), {(topic, 0): 5})  # the refused group keeps its offsets
        finally:
            member.close()
        # Once its member has left, the group can go (DeleteGroups v2 here).
        self.assertEqual(delete_groups_v2(self.port, [busy, missing]), {busy: NONE, missing: GROUP_ID_NOT_FOUND})
        self.assertEqual(self.group_offsets(busy), {})
        # The deleted group's offsets are gone: it starts over from earliest.
        self.assertEqual(self.consume_group(topic, idle, 20), [b"%d" % i for i in range(20)])

    def test_offset_delete(self):
        t1, t2 = unique("od1"), unique("od2")
        self.create_topic(t1, 2)
        self.create_topic(t2, 1)
        self.produce(t2, 10)
        group = unique("odg")
        self.assertIsNone(self.standalone_commit(group, {(t1, 0): 5, (t1, 1): 6, (t2, 0): 7}))
        self.assertEqual(self.group_offsets(group), {(t1, 0): 5, (t1, 1): 6, (t2, 0): 7})
        # An empty group: deleted.
        error, res = offset_delete(self.port, group, {t1: [0, 1]})
        self.assertEqual((error, res), (NONE, {(t1, 0): NONE, (t1, 1): NONE}))
        self.assertEqual(self.group_offsets(group), {(t2, 0): 7})
        # A member subscribed to t2: its offsets stay; other topics' go.
        self.assertIsNone(self.standalone_commit(group, {(t1, 0): 8}))
        member = self.active_member([t2], group)
        try:
            error, res = offset_delete(self.port, group, {t2: [0], t1: [0]})
            self.assertEqual((error, res), (NONE, {(t2, 0): GROUP_SUBSCRIBED_TO_TOPIC, (t1, 0): NONE}))
            self.assertEqual(self.group_offsets(group), {(t2, 0): 7})
        finally:
            member.close()
        # Partitions that do not exist are named as such.
        error, res = offset_delete(self.port, group, {t1: [5], unique("nope"): [0]})
        self.assertEqual(error, NONE)
        self.assertEqual(sorted(res.values()), [UNKNOWN_TOPIC_OR_PARTITION] * 2)
        error, res = offset_delete(self.port, unique("missing"), {t1: [0]})
        self.assertEqual(error, GROUP_ID_NOT_FOUND)

    def old_client_commit(self, api_version, topic, group, offset):
        """Commits `offset` for partition 0 with kafka-python pinned to an
        old broker version; returns what a fresh such consumer reads back
        (committed()), and the requests the clients sent."""
        tp = kafka.TopicPartition(topic, 0)
        timeouts = {"request_timeout_ms": 8000, "session_timeout_ms": 6000, "max_poll_interval_ms": 6000}
        with SentRequests() as sent:
            c = kafka.KafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id=group, api_version=api_version,
                                    enable_auto_commit=False, **timeouts)
            try:
                c.assign([tp])
                c.commit({tp: OffsetAndMetadata(offset, "old client")})
            finally:
                c.close(autocommit=False)
            c = kafka.KafkaConsumer(bootstrap_servers=self.broker.bootstrap, group_id=group, api_version=api_version,
                                    enable_auto_commit=False, **timeouts)
            try:
                c.assign([tp])
                committed = c.committed(tp)
            finally:
                c.close(autocommit=False)
        return committed, sent.names

    # Keeps a fixed bug: OffsetCommit v0 was served but OffsetFetch v0 was
    # not, so an api_version=(0, 8, 1) client could not read its commits
    # back (the broker closed the connection; committed() timed out).
    def test_offset_commit_v0_v1_old_clients(self):
        topic = unique("oldc")
        self.create_topic(topic)
        self.produce(topic, 50)
        for api_version, offset, commit, fetch in (((0, 8, 1), 17, "OffsetCommitRequest_v0", "OffsetFetchRequest_v0"),
                                                   ((0, 8, 2), 23, "OffsetCommitRequest_v1", "OffsetFetchRequest_v1")):
            group = unique("old")
            committed, sent = self.old_client_commit(api_version, topic, group, offset)
            self.assertIn(commit, sent)
            self.assertIn(fetch, sent)
            self.assertEqual(committed, offset, api_version)
            offsets = self.kadmin.list_consumer_group_offsets(group)
            self.assertEqual({(tp.topic, tp.partition): (om.offset, om.metadata) for tp, om in offsets.items()},
                             {(topic, 0): (offset, "old client")})
            # A current client in that group resumes there.
            self.assertEqual(self.consume_group(topic, group, 50 - offset), [b"%d" % i for i in range(offset, 50)])
        # v0 (no generation) into a group with a member: refused, kept.
        group = unique("oldbusy")
        self.assertEqual(len(self.consume_group(topic, group, 10)), 10)
        member = self.active_member([topic], group)
        try:
            self.assertEqual(offset_commit_v0(self.port, group, topic, {0: 3}), {0: UNKNOWN_MEMBER_ID})
            self.assertEqual(self.group_offsets(group), {(topic, 0): 10})
        finally:
            member.close()
        self.assertEqual(offset_commit_v0(self.port, group, topic, {0: 3}), {0: NONE})
        self.assertEqual(self.group_offsets(group), {(topic, 0): 3})

    def test_reset_offsets_of_an_idle_group(self):
        topic = unique("reset")
        self.create_topic(topic)
        self.produce(topic, 100)
        group = unique("rg")
        self.assertEqual(len(self.consume_group(topic, group, 100)), 100)
        self.assertEqual(self.group_offsets(group), {(topic, 0): 100})
        # Idle group: the reset lands, and the next member starts there.
        self.assertIsNone(self.standalone_commit(group, {(topic, 0): 30}))
        self.assertEqual(self.group_offsets(group), {(topic, 0): 30})
        c = Consumer(self.conf(**{"group.id": group}))
        try:
            [tp] = c.committed([TopicPartition(topic, 0)], timeout=10)
            self.assertEqual(tp.offset, 30)
        finally:
            c.close()
        self.assertEqual(self.consume_group(topic, group, 70), [b"%d" % i for i in range(30, 100)])
        # With a member: refused, nothing changes.
        member = self.active_member([topic], group)
        try:
            error = self.standalone_commit(group, {(topic, 0): 0})
            self.assertIsNotNone(error)
            self.assertEqual(error.code(), KafkaError.UNKNOWN_MEMBER_ID)
            self.assertEqual(self.group_offsets(group), {(topic, 0): 100})
        finally:
            member.close()


class RestartTest(unittest.TestCase):
    """DeleteRecords' log start and altered configs outlive the broker
    process: a clean stop, and a SIGKILL."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="rivulet-admin-restart-")
        self.broker = None

    def tearDown(self):
        if self.broker is not None:
            self.broker.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        if os.path.exists(self.dir + "-server.properties"):  # where Broker writes BROKER_CONFIG
            os.remove(self.dir + "-server.properties")

    def start(self):
        self.broker = Broker(data_dir=self.dir, config=BROKER_CONFIG).start()
        return self.broker

    def state(self, topic):
        """(low, high) watermarks, first record from earliest, retention.ms
        value and source."""
        conf = {"bootstrap.servers": self.broker.bootstrap}
        c = Consumer({**conf, "group.id": unique("state"), "enable.auto.commit": False})
        try:
            low_high = c.get_watermark_offsets(TopicPartition(topic, 0), timeout=10)
            c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
            m, deadline = None, time.time() + 15
            while m is None and time.time() < deadline:
                m = c.poll(0.2)
            first = None if m is None or m.error() else (m.offset(), m.value())
        finally:
            c.close()
        admin = AdminClient(conf)  # kept until the result is in: a destroyed handle fails its futures
        fs = admin.describe_configs([ConfigResource("topic", topic)])
        e = list(fs.values())[0].result(timeout=15)["retention.ms"]
        return low_high, first, (e.value, e.source)

    def test_log_start_and_configs_survive_restarts(self):
        topic = "kept"
        b = self.start()
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(timeout=15)
        p = Producer({"bootstrap.servers": b.bootstrap})
        for i in range(100):
            p.produce(topic, value=b"%d" % i)
        self.assertEqual(p.flush(20), 0)
        fs = admin.alter_configs([ConfigResource("topic", topic, set_config={"retention.ms": "86400000"})])
        list(fs.values())[0].result(timeout=15)
        self.assertEqual(delete_records(b.port, {topic: {0: 60}}), {(topic, 0): (60, NONE)})
        dynamic = ConfigSource.DYNAMIC_TOPIC_CONFIG.value
        expected = ((60, 100), (60, b"60"), ("86400000", dynamic))
        self.assertEqual(self.state(topic), expected)
        self.assertEqual(b.stop(), 0)
        b = self.start()
        self.assertEqual(self.state(topic), expected)
        # Acknowledged, then killed: still there.
        self.assertEqual(delete_records(b.port, {topic: {0: 75}}), {(topic, 0): (75, NONE)})
        b.kill()
        b = self.start()
        self.assertEqual(self.state(topic), ((75, 100), (75, b"75"), ("86400000", dynamic)))


if __name__ == "__main__":
    unittest.main(verbosity=2)
