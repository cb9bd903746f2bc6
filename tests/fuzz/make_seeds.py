"""Writes a seed corpus for request_fuzzer: one well-formed request (header
and body) per API, and per version where the layout changes (the
transaction APIs, classic and flexible), so that fuzzing starts deep inside
every decoder."""
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

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
