"""Every API at its flexible versions (KIP-482), over raw frames: request
header v2, compact strings and arrays, tagged-field sections. Each response
must parse completely, by the layout Kafka's message definitions give for
that version, with nothing left over; response header v1 (a tag section
after the correlation id) for all but ApiVersions, whose header stays v0.

The real clients of the other tests mostly stop below these versions
(librdkafka 2.0.2 and kafka-python 2.0.2 send Produce and Fetch classic),
so this is where the flexible layouts meet a broker end to end.
"""
import socket
import struct
import unittest

from broker_fixture import (TAGS, Broker, WireError, WireReader, array, i8, i16, i32, i64, raw_request, read_response,
                            record_batch, string)


# ---- building flexible bodies ----

def cstr(s):
    """A compact (nullable) string; None is null."""
    return string(s, flexible=True)


cbytes = cstr


def carr(items):
    """A compact array of already-encoded elements; None is null."""
    return array(items, flexible=True)


UUID0 = b"\x00" * 16


# ---- parsing flexible bodies by schema (WireReader.struct) ----

def parse(body, schema):
    r = WireReader(body, flexible=True)
    out = r.struct(schema)
    if r.p != len(body):
        raise WireError(f"{len(body) - r.p} bytes left over")
    return out


# ---- the response layouts (Kafka's message definitions, flexible versions) ----

API_VERSIONS_V3 = [("error", "i16"), ("apis", ("arr", [("key", "i16"), ("min", "i16"), ("max", "i16")])),
                   ("throttle", "i32")]
CREATE_TOPICS_V7 = [("throttle", "i32"), ("topics", ("arr", [
    ("name", "str"), ("id", "uuid"), ("error", "i16"), ("message", "nstr"), ("partitions", "i32"),
    ("rf", "i16"), ("configs", ("narr", [("name", "str"), ("value", "nstr"), ("read_only", "i8"),
                                          ("source", "i8"), ("sensitive", "i8")]))]))]


def metadata_schema(v):
    topic = [("error", "i16"), ("name", "nstr" if v >= 12 else "str")]
    if v >= 10:
        topic.append(("id", "uuid"))
    topic += [("internal", "i8"), ("partitions", ("arr", [
        ("error", "i16"), ("index", "i32"), ("leader", "i32"), ("epoch", "i32"), ("replicas", ("ints",)),
        ("isr", ("ints",)), ("offline", ("ints",))])), ("topic_ops", "i32")]
    s = [("throttle", "i32"), ("brokers", ("arr", [("id", "i32"), ("host", "str"), ("port", "i32"),
                                                   ("rack", "nstr")])),
         ("cluster", "nstr"), ("controller", "i32"), ("topics", ("arr", topic))]
    if v <= 10:
        s.append(("cluster_ops", "i32"))
    return s


PRODUCE_V9 = [("topics", ("arr", [("name", "str"), ("partitions", ("arr", [
    ("index", "i32"), ("error", "i16"), ("base_offset", "i64"), ("append_time", "i64"), ("start", "i64"),
    ("record_errors", ("arr", [("batch_index", "i32"), ("message", "nstr")])), ("message", "nstr")]))])),
    ("throttle", "i32")]
FETCH_V12 = [("throttle", "i32"), ("error", "i16"), ("session", "i32"), ("topics", ("arr", [
    ("name", "str"), ("partitions", ("arr", [
        ("index", "i32"), ("error", "i16"), ("hw", "i64"), ("lso", "i64"), ("start", "i64"),
        ("aborted", ("narr", [("pid", "i64"), ("first", "i64")])), ("replica", "i32"),
        ("records", "nbytes")]))]))]
LIST_OFFSETS_V6 = [("throttle", "i32"), ("topics", ("arr", [("name", "str"), ("partitions", ("arr", [
    ("index", "i32"), ("error", "i16"), ("timestamp", "i64"), ("offset", "i64"), ("epoch", "i32")]))]))]
FIND_COORDINATOR_V3 = [("throttle", "i32"), ("error", "i16"), ("message", "nstr"), ("node", "i32"),
                       ("host", "str"), ("port", "i32")]
FIND_COORDINATOR_V4 = [("throttle", "i32"), ("coordinators", ("arr", [
    ("key", "str"), ("node", "i32"), ("host", "str"), ("port", "i32"), ("error", "i16"), ("message", "nstr")]))]
JOIN_GROUP_V7 = [("throttle", "i32"), ("error", "i16"), ("generation", "i32"), ("protocol_type", "nstr"),
                 ("protocol", "nstr"), ("leader", "str"), ("member", "str"), ("members", ("arr", [
                     ("member", "str"), ("instance", "nstr"), ("metadata", "bytes")]))]
SYNC_GROUP_V5 = [("throttle", "i32"), ("error", "i16"), ("protocol_type", "nstr"), ("protocol", "nstr"),
                 ("assignment", "bytes")]
HEARTBEAT_V4 = [("throttle", "i32"), ("error", "i16")]
OFFSET_COMMIT_V8 = [("throttle", "i32"), ("topics", ("arr", [("name", "str"), ("partitions", ("arr", [
    ("index", "i32"), ("error", "i16")]))]))]
OFFSET_FETCH_V6 = [("throttle", "i32"), ("topics", ("arr", [("name", "str"), ("partitions", ("arr", [
    ("index", "i32"), ("offset", "i64"), ("epoch", "i32"), ("metadata", "nstr"), ("error", "i16")]))])),
    ("error", "i16")]
DESCRIBE_GROUPS_V5 = [("throttle", "i32"), ("groups", ("arr", [
    ("error", "i16"), ("id", "str"), ("state", "str"), ("protocol_type", "str"), ("protocol", "str"),
    ("members", ("arr", [("member", "str"), ("instance", "nstr"), ("client", "str"), ("host", "str"),
                         ("metadata", "bytes"), ("assignment", "bytes")])), ("ops", "i32")]))]


def list_groups_schema(v):
    group = [("id", "str"), ("protocol_type", "str")] + ([("state", "str")] if v >= 4 else [])
    return [("throttle", "i32"), ("error", "i16"), ("groups", ("arr", group))]


LEAVE_GROUP_V4 = [("throttle", "i32"), ("error", "i16"), ("members", ("arr", [
    ("member", "str"), ("instance", "nstr"), ("error", "i16")]))]
DELETE_TOPICS_V5 = [("throttle", "i32"), ("responses", ("arr", [("name", "str"), ("error", "i16"),
                                                                ("message", "nstr")]))]


class Connection:
    """One connection; flexible requests (header v2)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.cid = 100

    def close(self):
        self.s.close()

    def call(self, key, version, body, flexible_response_header=True):
        self.cid += 1
        # Header v2: key, version, correlation id, client id (classic
        # nullable string), then a tag section; here with one unknown tag.
        header = struct.pack(">hhih", key, version, self.cid, 4) + b"flex" + b"\x01\x05\x01z"
        frame = header + body
        self.s.sendall(struct.pack(">i", len(frame)) + frame)
        resp = read_response(self.s)
        if resp is None:
            raise AssertionError(f"API {key} v{version}: connection closed")
        cid, rest = resp
        assert cid == self.cid, (cid, self.cid)
        if flexible_response_header:
            assert rest[:1] == b"\x00", f"API {key} v{version}: no empty response-header tag section"
            rest = rest[1:]
        return rest


class FlexibleVersionsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.broker = Broker().start()

    @classmethod
    def tearDownClass(cls):
        code = cls.broker.stop()
        cls.broker.cleanup()
        assert code == 0, f"broker exited with {code} on SIGTERM"

    def setUp(self):
        self.c = Connection(self.broker.port)

    def tearDown(self):
        self.c.close()

    def create_topic(self, name, partitions):
        body = (carr([cstr(name) + i32(partitions) + i16(1) + carr([])
                      + carr([cstr("retention.ms") + cstr("86400000") + TAGS]) + TAGS])
                + i32(5000) + i8(0) + TAGS)
        r = parse(self.c.call(19, 7, body), CREATE_TOPICS_V7)
        return r["topics"][0]

    def test_api_versions_v3(self):
        body = cstr("rivulet-test") + cstr("1.0") + TAGS
        r = parse(self.c.call(18, 3, body, flexible_response_header=False), API_VERSIONS_V3)
        self.assertEqual(r["error"], 0)
        apis = {a["key"]: (a["min"], a["max"]) for a in r["apis"]}
        self.assertEqual(apis[18], (0, 3))
        self.assertEqual(apis[3], (0, 12))
        self.assertEqual(apis[1], (2, 12))
        self.assertEqual(apis[0], (0, 9))

    def test_api_versions_v3_malformed_body_is_invalid_request(self):
        r = parse(self.c.call(18, 3, b"\x05ab", flexible_response_header=False), API_VERSIONS_V3)
        self.assertEqual(r["error"], 42)

    def test_create_metadata_delete(self):
        t = self.create_topic("flex-admin", 3)
        self.assertEqual((t["name"], t["error"], t["partitions"], t["rf"]), ("flex-admin", 0, 3, 1))
        self.assertEqual(t["id"], UUID0)
        configs = {c["name"]: (c["value"], c["source"]) for c in t["configs"]}
        self.assertEqual(configs["retention.ms"], ("86400000", 1))
        again = self.create_topic("flex-admin", 3)
        self.assertEqual(again["error"], 36)

        for v in (9, 10, 11, 12):
            if v >= 10:
                topics = carr([UUID0 + cstr("flex-admin") + TAGS, UUID0 + cstr(None) + TAGS])
            else:
                topics = carr([cstr("flex-admin") + TAGS])
            body = topics + i8(0) + (i8(0) if v <= 10 else b"") + i8(0) + TAGS
            r = parse(self.c.call(3, v, body), metadata_schema(v))
            self.assertEqual(len(r["brokers"]), 1)
            self.assertEqual(r["topics"][0]["name"], "flex-admin")
            self.assertEqual(len(r["topics"][0]["partitions"]), 3)
            if v >= 10:
                self.assertEqual(r["topics"][1]["error"], 100)  # by id alone: UNKNOWN_TOPIC_ID
            # All topics: a null array.
            body = carr(None) + i8(0) + (i8(0) if v <= 10 else b"") + i8(0) + TAGS
            r = parse(self.c.call(3, v, body), metadata_schema(v))
            self.assertIn("flex-admin", [t["name"] for t in r["topics"]])

        for v in (4, 5):
            self.create_topic(f"flex-del-{v}", 1)
            body = carr([cstr(f"flex-del-{v}"), cstr("flex-missing")]) + i32(5000) + TAGS
            schema = DELETE_TOPICS_V5 if v == 5 else [
                ("throttle", "i32"), ("responses", ("arr", [("name", "str"), ("error", "i16")]))]
            r = parse(self.c.call(20, v, body), schema)
            self.assertEqual([x["error"] for x in r["responses"]], [0, 3])
            if v == 5:
                self.assertIsNotNone(r["responses"][1]["message"])

    def test_produce_fetch_list_offsets(self):
        self.create_topic("flex-data", 1)
        batch = record_batch(-1, -1, -1, [b"one", b"two"])
        body = (cstr(None) + i16(-1) + i32(10000)
                + carr([cstr("flex-data") + carr([i32(0) + cbytes(batch) + TAGS]) + TAGS]) + TAGS)
        r = parse(self.c.call(0, 9, body), PRODUCE_V9)
        p = r["topics"][0]["partitions"][0]
        self.assertEqual((p["error"], p["base_offset"]), (0, 0))

        # acks=0: no response at all; the next request is answered.
        body0 = (cstr(None) + i16(0) + i32(10000)
                 + carr([cstr("flex-data") + carr([i32(0) + cbytes(record_batch(-1, -1, -1, [b"three"])) + TAGS])
                         + TAGS]) + TAGS)
        frame = struct.pack(">hhih", 0, 9, 999, 0) + TAGS + body0
        self.c.s.sendall(struct.pack(">i", len(frame)) + frame)

        body = (i32(-1) + i32(100) + i32(1) + i32(1 << 20) + i8(0) + i32(0) + i32(-1)
                + carr([cstr("flex-data") + carr([i32(0) + i32(-1) + i64(0) + i32(-1) + i64(-1) + i32(1 << 20)
                                                  + TAGS]) + TAGS])
                + carr([]) + cstr("") + TAGS)
        r = parse(self.c.call(1, 12, body), FETCH_V12)
        self.assertEqual(r["error"], 0)
        p = r["topics"][0]["partitions"][0]
        self.assertEqual(p["error"], 0)
        self.assertEqual(p["hw"], 3)
        self.assertIn(b"one", p["records"])
        self.assertIn(b"three", p["records"])

        body = (i32(-1) + i8(0) + carr([cstr("flex-data") + carr([i32(0) + i32(-1) + i64(-1) + TAGS,
                                                                  i32(1) + i32(-1) + i64(-2) + TAGS]) + TAGS])
                + TAGS)
        r = parse(self.c.call(2, 6, body), LIST_OFFSETS_V6)
        parts = r["topics"][0]["partitions"]
        self.assertEqual((parts[0]["error"], parts[0]["offset"]), (0, 3))
        self.assertEqual(parts[1]["error"], 3)

    def test_group_lifecycle(self):
        self.create_topic("flex-grp", 2)
        group = "flex-group"
        r = parse(self.c.call(10, 3, cstr(group) + i8(0) + TAGS), FIND_COORDINATOR_V3)
        self.assertEqual((r["error"], r["port"]), (0, self.broker.port))
        r = parse(self.c.call(10, 4, i8(0) + carr([cstr(group), cstr("other")]) + TAGS), FIND_COORDINATOR_V4)
        self.assertEqual([c["key"] for c in r["coordinators"]], [group, "other"])
        self.assertEqual({c["port"] for c in r["coordinators"]}, {self.broker.port})

        def join(member):
            body = (cstr(group) + i32(10000) + i32(10000) + cstr(member) + cstr(None) + cstr("consumer")
                    + carr([cstr("range") + cbytes(b"meta") + TAGS]) + TAGS)
            return parse(self.c.call(11, 7, body), JOIN_GROUP_V7)

        first = join("")
        self.assertEqual(first["error"], 79)  # MEMBER_ID_REQUIRED
        self.assertEqual(first["protocol_type"], None)
        member = first["member"]
        r = join(member)
        self.assertEqual(r["error"], 0)
        self.assertEqual((r["protocol_type"], r["protocol"], r["leader"]), ("consumer", "range", member))
        self.assertEqual(len(r["members"]), 1)
        gen = r["generation"]

        body = (cstr(group) + i32(gen) + cstr(member) + cstr(None) + cstr("consumer") + cstr("range")
                + carr([cstr(member) + cbytes(b"assigned") + TAGS]) + TAGS)
        r = parse(self.c.call(14, 5, body), SYNC_GROUP_V5)
        self.assertEqual((r["error"], r["assignment"]), (0, b"assigned"))
        self.assertEqual((r["protocol_type"], r["protocol"]), ("consumer", "range"))

        r = parse(self.c.call(12, 4, cstr(group) + i32(gen) + cstr(member) + cstr(None) + TAGS), HEARTBEAT_V4)
        self.assertEqual(r["error"], 0)

        body = (cstr(group) + i32(gen) + cstr(member) + cstr(None)
                + carr([cstr("flex-grp") + carr([i32(0) + i64(42) + i32(-1) + cstr("m") + TAGS,
                                                 i32(9) + i64(1) + i32(-1) + cstr(None) + TAGS]) + TAGS]) + TAGS)
        r = parse(self.c.call(8, 8, body), OFFSET_COMMIT_V8)
        self.assertEqual([p["error"] for p in r["topics"][0]["partitions"]], [0, 3])

        body = cstr(group) + carr([cstr("flex-grp") + carr([i32(0), i32(1)]) + TAGS]) + TAGS
        r = parse(self.c.call(9, 6, body), OFFSET_FETCH_V6)
        parts = r["topics"][0]["partitions"]
        self.assertEqual([(p["offset"], p["metadata"]) for p in parts], [(42, "m"), (-1, "")])
        r = parse(self.c.call(9, 6, cstr(group) + carr(None) + TAGS), OFFSET_FETCH_V6)
        self.assertEqual(r["topics"][0]["partitions"][0]["offset"], 42)

        r = parse(self.c.call(15, 5, carr([cstr(group)]) + i8(0) + TAGS), DESCRIBE_GROUPS_V5)
        g = r["groups"][0]
        self.assertEqual((g["state"], g["protocol"], len(g["members"])), ("Stable", "range", 1))

        r = parse(self.c.call(16, 3, TAGS), list_groups_schema(3))
        self.assertIn(group, [x["id"] for x in r["groups"]])
        r = parse(self.c.call(16, 4, carr([cstr("stable")]) + TAGS), list_groups_schema(4))
        self.assertIn((group, "Stable"), [(x["id"], x["state"]) for x in r["groups"]])
        r = parse(self.c.call(16, 4, carr([cstr("Dead")]) + TAGS), list_groups_schema(4))
        self.assertNotIn(group, [x["id"] for x in r["groups"]])

        r = parse(self.c.call(13, 4, cstr(group) + carr([cstr(member) + cstr(None) + TAGS]) + TAGS), LEAVE_GROUP_V4)
        self.assertEqual((r["error"], [m["error"] for m in r["members"]]), (0, [0]))

    def test_init_producer_id_v2_and_describe_producers_v0(self):
        self.create_topic("flex-producers", 1)
        r = parse(self.c.call(22, 2, cstr(None) + i32(60000) + TAGS),
                  [("throttle", "i32"), ("error", "i16"), ("pid", "i64"), ("epoch", "i16")])
        self.assertEqual(r["error"], 0)
        pid, epoch = r["pid"], r["epoch"]
        batch = record_batch(pid, epoch, 0, [b"a", b"b", b"c"])
        topic = b"flex-producers"
        produce = (struct.pack(">hhi", -1, -1, 10000) + struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic
                   + struct.pack(">ii", 1, 0) + struct.pack(">i", len(batch)) + batch)
        self.assertIsNotNone(raw_request(self.broker.port, 0, 3, produce))
        schema = [("throttle", "i32"), ("topics", ("arr", [("name", "str"), ("partitions", ("arr", [
            ("partition", "i32"), ("error", "i16"), ("message", "nstr"), ("producers", ("arr", [
                ("pid", "i64"), ("epoch", "i32"), ("last_seq", "i32"), ("last_ts", "i64"),
                ("coordinator_epoch", "i32"), ("txn_start", "i64")]))]))]))]
        r = parse(self.c.call(61, 0, carr([cstr("flex-producers") + carr([i32(0)]) + TAGS]) + TAGS), schema)
        part = r["topics"][0]["partitions"][0]
        self.assertEqual(part["error"], 0)
        self.assertEqual(len(part["producers"]), 1)
        prod = part["producers"][0]
        self.assertEqual((prod["pid"], prod["epoch"], prod["last_seq"], prod["txn_start"]), (pid, epoch, 2, -1))
        r = parse(self.c.call(61, 0, carr([cstr("no-such-topic") + carr([i32(0)]) + TAGS]) + TAGS), schema)
        self.assertEqual(r["topics"][0]["partitions"][0]["error"], 3)  # UNKNOWN_TOPIC_OR_PARTITION

    def test_truncated_flexible_bodies_close(self):
        for key, v in ((0, 9), (1, 12), (2, 6), (3, 12), (8, 8), (9, 6), (10, 4), (11, 7), (12, 4), (13, 4),
                       (14, 5), (15, 5), (16, 4), (19, 7), (20, 5)):
            c = Connection(self.broker.port)
            try:
                with self.assertRaises(AssertionError, msg=f"API {key} v{v}"):
                    c.call(key, v, b"\x05")
            finally:
                c.close()
        self.assertTrue(self.broker.alive())


if __name__ == "__main__":
    unittest.main()
