"""Writes a seed corpus for request_fuzzer: one well-formed request (header
and body) per API, and per version where the layout changes (the
transaction, SASL and ACL APIs, classic and flexible), so that fuzzing
starts deep inside every decoder."""
import os
import struct
import sys


def s(x):
    b = x.encode()
    return struct.pack(">h", len(b)) + b


def by(b):
    return struct.pack(">i", len(b)) + b


def header(key, version):
    return struct.pack(">hhi", key, version, 1) + s("seed")


# Flexible versions (KIP-482): unsigned varints, lengths and counts + 1,
# a tagged-field section closing each struct; request header v2.
def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def cs(x):
    return b"\x00" if x is None else uvarint(len(x.encode()) + 1) + x.encode()


def carr(n):
    return uvarint(n + 1)


TAGS = b"\x00"


def fheader(key, version):
    return header(key, version) + TAGS


def txn_seeds():
    """Transaction APIs: every version, classic then flexible."""
    out = {}
    for v in range(5):  # InitProducerId, flexible from v2
        flex = v >= 2
        body = (cs("txn") if flex else s("txn")) + struct.pack(">i", 60000)
        if v >= 3:
            body += struct.pack(">qh", 7, 1)
        out["init_producer_id_v%d" % v] = (fheader(22, v) + body + TAGS) if flex else header(22, v) + body
    for v in range(4):  # flexible from v3
        flex = v >= 3
        st = cs if flex else s
        arr = carr if flex else (lambda n: struct.pack(">i", n))
        tags = TAGS if flex else b""
        hdr = fheader if flex else header
        ids = st("txn") + struct.pack(">qh", 7, 1)
        out["add_partitions_v%d" % v] = hdr(24, v) + ids + arr(1) + st("t") + arr(2) + struct.pack(">ii", 0, 1) \
            + tags + tags
        out["add_offsets_v%d" % v] = hdr(25, v) + ids + st("g") + tags
        out["end_txn_v%d" % v] = hdr(26, v) + ids + b"\x01" + tags
        body = st("txn") + st("g") + struct.pack(">qh", 7, 1)
        if v >= 3:
            body += struct.pack(">i", 1) + cs("m") + cs(None)
        part = struct.pack(">iq", 0, 5) + (struct.pack(">i", -1) if v >= 2 else b"") \
            + (cs("") if flex else s("")) + tags
        out["txn_offset_commit_v%d" % v] = hdr(28, v) + body + arr(1) + st("t") + arr(1) + part + tags + tags
    out["describe_producers_v0"] = fheader(61, 0) + carr(1) + cs("t") + carr(1) + struct.pack(">i", 0) + TAGS + TAGS
    out["describe_transactions_v0"] = fheader(65, 0) + carr(1) + cs("txn") + TAGS
    out["list_transactions_v0"] = fheader(66, 0) + carr(1) + cs("Ongoing") + carr(1) + struct.pack(">q", 7) + TAGS
    return out


def sasl_seeds():
    """SASL and SCRAM credentials: every version, classic then flexible."""
    out = {}
    for v in range(2):  # SaslHandshake, never flexible
        out["sasl_handshake_v%d" % v] = header(17, v) + s("SCRAM-SHA-256")
    plain = b"\x00user\x00secret"
    for v in range(3):  # SaslAuthenticate, flexible from v2
        if v >= 2:
            out["sasl_authenticate_v%d" % v] = fheader(36, v) + uvarint(len(plain) + 1) + plain + TAGS
        else:
            out["sasl_authenticate_v%d" % v] = header(36, v) + by(plain)
    # SCRAM exchanges for the fuzzer's SASL servers: client-first, a
    # newline, client-final (RFC 7677's example; user "user" is known).
    scram = (b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO\n"
             b"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
             b"p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")
    out["sasl_authenticate_scram_v1"] = header(36, 1) + by(scram)
    out["sasl_authenticate_scram_v2"] = fheader(36, 2) + uvarint(len(scram) + 1) + scram + TAGS
    out["sasl_authenticate_scram_authzid_v1"] = header(36, 1) + by(b"n,a=user,n=user,r=abc\nc=bixx,r=abc,p=AAAA")
    out["describe_user_scram_credentials_v0"] = fheader(50, 0) + carr(2) + cs("alice") + TAGS + cs("bob") + TAGS \
        + TAGS
    out["describe_user_scram_credentials_v0_all"] = fheader(50, 0) + b"\x00" + TAGS
    salt = b"\x01" * 16
    salted = b"\x02" * 32
    out["alter_user_scram_credentials_v0"] = fheader(51, 0) + carr(1) + cs("bob") + b"\x02" + TAGS + carr(1) \
        + cs("alice") + b"\x01" + struct.pack(">i", 4096) + uvarint(len(salt) + 1) + salt \
        + uvarint(len(salted) + 1) + salted + TAGS + TAGS
    return out


def acl_seeds():
    """ACLs: every version of the three APIs; a pattern type from v1,
    flexible from v2."""
    out = {}
    for v in range(4):
        flex = v >= 2
        st = cs if flex else s
        nst = cs if flex else (lambda x: struct.pack(">h", -1) if x is None else s(x))
        arr = carr if flex else (lambda n: struct.pack(">i", n))
        tags = TAGS if flex else b""
        hdr = fheader if flex else header
        pattern = b"\x03" if v >= 1 else b""  # literal
        # DescribeAcls: topic "orders", any principal, host "*", any operation, allow.
        out["describe_acls_v%d" % v] = hdr(29, v) + b"\x02" + nst("orders") + pattern + nst(None) + nst("*") \
            + b"\x01\x03" + tags
        # CreateAcls: User:alice may read topic "orders" from anywhere.
        out["create_acls_v%d" % v] = hdr(30, v) + arr(1) + b"\x02" + st("orders") + pattern + st("User:alice") \
            + st("*") + b"\x03\x03" + tags + tags
        # DeleteAcls: alice's ACLs on "orders", and every ACL (an all-null filter).
        any_pattern = b"\x01" if v >= 1 else b""
        out["delete_acls_v%d" % v] = hdr(31, v) + arr(2) + b"\x02" + nst("orders") + pattern + nst("User:alice") \
            + nst(None) + b"\x01\x01" + tags + b"\x01" + nst(None) + any_pattern + nst(None) + nst(None) \
            + b"\x01\x01" + tags + tags
    return out


def batch():
    rec = bytes([0]) + bytes([0]) + bytes([0]) + bytes([2]) + b"k" + bytes([2]) + b"v" + bytes([0])
    records = bytes([len(rec) * 2]) + rec
    body = struct.pack(">hiqqqhii", 0, 0, 1000, 1000, -1, -1, -1, 1) + records
    return struct.pack(">qi", 0, len(body) + 9) + struct.pack(">ib", -1, 2) + struct.pack(">I", 0) + body


SEEDS = {
    "api_versions": header(18, 2),
    "metadata": header(3, 8) + struct.pack(">i", 1) + s("topic") + b"\x01\x00\x00",
    "produce": header(0, 7) + struct.pack(">h", -1) + struct.pack(">hi", -1, 1000) + struct.pack(">i", 1)
    + s("t") + struct.pack(">i", 1) + struct.pack(">i", 0) + by(batch()),
    "fetch": header(1, 11) + struct.pack(">iiiibii", -1, 500, 1, 1 << 20, 0, 0, -1) + struct.pack(">i", 1)
    + s("t") + struct.pack(">i", 1) + struct.pack(">iiqqi", 0, -1, 0, 0, 1 << 20) + struct.pack(">i", 0) + s(""),
    "list_offsets": header(2, 5) + struct.pack(">ib", -1, 0) + struct.pack(">i", 1) + s("t")
    + struct.pack(">i", 1) + struct.pack(">iiq", 0, -1, -1),
    "join": header(11, 5) + s("g") + struct.pack(">ii", 10000, 30000) + s("") + struct.pack(">h", -1)
    + s("consumer") + struct.pack(">i", 1) + s("range") + by(b"\x00\x00\x00\x00\x00\x01\x00\x01t\xff\xff\xff\xff"),
    "sync": header(14, 3) + s("g") + struct.pack(">i", 1) + s("m") + struct.pack(">h", -1)
    + struct.pack(">i", 1) + s("m") + by(b"\x00\x00"),
    "heartbeat": header(12, 3) + s("g") + struct.pack(">i", 1) + s("m") + struct.pack(">h", -1),
    "leave": header(13, 3) + s("g") + struct.pack(">i", 1) + s("m") + struct.pack(">h", -1),
    "commit": header(8, 7) + s("g") + struct.pack(">i", 1) + s("m") + struct.pack(">h", -1)
    + struct.pack(">i", 1) + s("t") + struct.pack(">i", 1) + struct.pack(">iqi", 0, 5, -1) + s(""),
    "offset_fetch": header(9, 5) + s("g") + struct.pack(">i", -1),
    "describe_groups": header(15, 4) + struct.pack(">i", 1) + s("g") + b"\x00",
    "create_topics": header(19, 4) + struct.pack(">i", 1) + s("t") + struct.pack(">ih", 3, 1)
    + struct.pack(">i", 0) + struct.pack(">i", 1) + s("retention.ms") + s("1000") + struct.pack(">ib", 1000, 0),
    "delete_topics": header(20, 3) + struct.pack(">i", 1) + s("t") + struct.pack(">i", 1000),
    "batch": batch(),
}
SEEDS.update(txn_seeds())
SEEDS.update(sasl_seeds())
SEEDS.update(acl_seeds())


def i32(*v):
    return struct.pack(">" + "i" * len(v), *v)


def cb(b):
    return uvarint(len(b) + 1) + b


def flexible_seeds():
    """The classic APIs at each flexible version they serve."""
    out = {}
    b = batch()
    out["produce_v9"] = fheader(0, 9) + cs(None) + struct.pack(">hi", -1, 1000) + carr(1) + cs("t") + carr(1) \
        + i32(0) + cb(b) + TAGS + TAGS + TAGS
    out["fetch_v12"] = fheader(1, 12) + struct.pack(">iiiibii", -1, 500, 1, 1 << 20, 0, 0, -1) + carr(1) + cs("t") \
        + carr(1) + struct.pack(">iiqiqi", 0, -1, 0, -1, -1, 1 << 20) + TAGS + TAGS + carr(1) + cs("t") + carr(1) \
        + i32(1) + TAGS + cs("") + TAGS
    out["list_offsets_v6"] = fheader(2, 6) + struct.pack(">ib", -1, 0) + carr(1) + cs("t") + carr(1) \
        + struct.pack(">iiq", 0, -1, -1) + TAGS + TAGS + TAGS
    for v in (9, 10, 11, 12):
        topic = (b"\x00" * 16 if v >= 10 else b"") + cs("topic") + TAGS
        flags = b"\x01" + (b"\x00" if v <= 10 else b"") + b"\x00"
        out["metadata_v%d" % v] = fheader(3, v) + carr(1) + topic + flags + TAGS
    out["metadata_v12_by_id"] = fheader(3, 12) + carr(1) + b"\x01" * 16 + cs(None) + TAGS + b"\x00\x00" + TAGS
    out["commit_v8"] = fheader(8, 8) + cs("g") + i32(1) + cs("m") + cs(None) + carr(1) + cs("t") + carr(1) \
        + struct.pack(">iqi", 0, 5, -1) + cs("") + TAGS + TAGS + TAGS
    out["offset_fetch_v6"] = fheader(9, 6) + cs("g") + carr(1) + cs("t") + carr(2) + i32(0, 1) + TAGS + TAGS
    out["offset_fetch_v6_all"] = fheader(9, 6) + cs("g") + b"\x00" + TAGS
    out["find_coordinator_v3"] = fheader(10, 3) + cs("g") + b"\x00" + TAGS
    out["find_coordinator_v4"] = fheader(10, 4) + b"\x00" + carr(2) + cs("g") + cs("h") + TAGS
    meta = b"\x00\x00\x00\x00\x00\x01\x00\x01t\xff\xff\xff\xff"
    for v in (6, 7):
        out["join_v%d" % v] = fheader(11, v) + cs("g") + i32(10000, 30000) + cs("") + cs(None) + cs("consumer") \
            + carr(1) + cs("range") + cb(meta) + TAGS + TAGS
    out["heartbeat_v4"] = fheader(12, 4) + cs("g") + i32(1) + cs("m") + cs(None) + TAGS
    out["leave_v4"] = fheader(13, 4) + cs("g") + carr(1) + cs("m") + cs(None) + TAGS + TAGS
    out["sync_v4"] = fheader(14, 4) + cs("g") + i32(1) + cs("m") + cs(None) + carr(1) + cs("m") + cb(b"\x00\x00") \
        + TAGS + TAGS
    out["sync_v5"] = fheader(14, 5) + cs("g") + i32(1) + cs("m") + cs(None) + cs("consumer") + cs("range") \
        + carr(1) + cs("m") + cb(b"\x00\x00") + TAGS + TAGS
    out["describe_groups_v5"] = fheader(15, 5) + carr(1) + cs("g") + b"\x00" + TAGS
    out["list_groups_v3"] = fheader(16, 3) + TAGS
    out["list_groups_v4"] = fheader(16, 4) + carr(1) + cs("Stable") + TAGS
    out["api_versions_v3"] = fheader(18, 3) + cs("librdkafka") + cs("2.0.2") + TAGS
    for v in (5, 6, 7):
        out["create_topics_v%d" % v] = fheader(19, v) + carr(1) + cs("t") + struct.pack(">ih", 3, 1) + carr(1) \
            + i32(0) + carr(1) + i32(1) + TAGS + carr(1) + cs("retention.ms") + cs("1000") + TAGS + TAGS \
            + struct.pack(">ib", 1000, 0) + TAGS
    for v in (4, 5):
        out["delete_topics_v%d" % v] = fheader(20, v) + carr(2) + cs("t") + cs("u") + i32(1000) + TAGS
    return out


SEEDS.update(flexible_seeds())

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
