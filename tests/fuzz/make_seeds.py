"""Writes a seed corpus for request_fuzzer: one well-formed request (header
and body) per API, so that fuzzing starts deep inside every decoder."""
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

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
