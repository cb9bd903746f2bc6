"""A real `rivulet broker` process on 127.0.0.1 for the client tests.

Starts the broker on a free port in a fresh data directory, waits until it
accepts connections, and stops it (SIGTERM, then SIGKILL) at the end. Also:
raw request frames, their bodies' encoders (i8..i64, uvarint, string, array,
TAGS) and a reader of response bodies (WireReader), record batches, users
made before a broker starts (add_user), and a throwaway PKI (make_pki) for
the TLS and SASL_SSL listeners.
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
import uuid

RIVULET = os.environ.get("RIVULET_BINARY", "rivulet")


def unique(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def add_user(data_dir, name, password, mechanisms=()):
    """`rivulet users --data-dir` (before the broker holds the directory)."""
    args = [RIVULET, "users", "--data-dir", data_dir, "--add", name, "--password-stdin"]
    for m in mechanisms:
        args += ["--mechanism", m]
    r = subprocess.run(args, input=(password + "\n").encode(), capture_output=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"rivulet users --add {name}: {r.stderr.decode()}")


def rss_bytes(pid):
    """The resident memory of process `pid`, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Broker:
    def __init__(self, data_dir=None, config=None, extra_args=()):
        self.own_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="rivulet-broker-")
        self.port = free_port()
        self.config = config
        self.extra_args = list(extra_args)
        self.proc = None
        self.log_path = os.path.join(tempfile.gettempdir(), f"rivulet-broker-{self.port}.log")

    @property
    def bootstrap(self):
        return f"127.0.0.1:{self.port}"

    def start(self, timeout=20):
        args = [RIVULET, "broker", "--data-dir", self.data_dir]
        if not (self.config and "listeners" in self.config):
            args += ["--listen", self.bootstrap]  # else the configuration's listeners (self.port: one of them)
        if self.config:
            path = os.path.join(self.data_dir + "-server.properties")
            with open(path, "w") as f:
                for k, v in self.config.items():
                    f.write(f"{k}={v}\n")
            args += ["--config", path]
        args += self.extra_args
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.log)
        line = self.proc.stdout.readline().decode()
        if "listening on" not in line:
            raise RuntimeError(f"broker did not start: {line!r}, see {self.log_path}")
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("broker not accepting connections")

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.proc.stdout.close()
        self.log.close()
        self.proc = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        self.stop()
        if self.own_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)


def openssl(*args, cwd):
    r = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, timeout=60)
    if r.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: {r.stderr.decode()}")


def make_pki(d):
    """A CA, a server certificate for 127.0.0.1 and localhost, and a client
    certificate (CN=alice), all signed by the CA. Returns paths."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=rivulet-test-ca", cwd=d)
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, subj, ext in (("server", "/CN=localhost", ["-extfile", "san.ext"]), ("client", "/O=rivulet/CN=alice", [])):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subj,
                cwd=d)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out",
                f"{name}.crt", "-days", "2", *ext, cwd=d)
    # The broker's keystore (KIP-651 PEM): private key and certificate chain.
    with open(os.path.join(d, "server.pem"), "wb") as out:
        for part in ("server.key", "server.crt", "ca.pem"):
            with open(os.path.join(d, part), "rb") as f:
                out.write(f.read())
    return {k: os.path.join(d, v) for k, v in
            (("ca", "ca.pem"), ("keystore", "server.pem"), ("client_cert", "client.crt"), ("client_key", "client.key"))}


def raw_request(port, api_key, api_version, body=b"", correlation_id=7, client_id=b"raw"):
    """Sends one request frame; returns (correlation_id, body) or None if closed."""
    header = struct.pack(">hhih", api_key, api_version, correlation_id, len(client_id)) + client_id
    frame = header + body
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        return read_response(s)


def read_response(s):
    size = recv_exact(s, 4)
    if size is None:
        return None
    (n,) = struct.unpack(">i", size)
    payload = recv_exact(s, n)
    if payload is None:
        return None
    return struct.unpack(">i", payload[:4])[0], payload[4:]


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


# ---- request bodies ----
# Classic encodings (int16 string lengths, int32 array counts) and, for the
# flexible versions (KIP-482), compact ones with empty tag sections.

def i8(v): return struct.pack(">b", v)
def i16(v): return struct.pack(">h", v)
def i32(v): return struct.pack(">i", v)
def i64(v): return struct.pack(">q", v)


def uvarint(n):
    out = b""
    while n >= 0x80:
        out += bytes([(n & 0x7F) | 0x80])
        n >>= 7
    return out + bytes([n])


def string(s, flexible=False):
    """A (nullable) string or bytes; None is null."""
    if s is None:
        return b"\x00" if flexible else i16(-1)
    b = s.encode() if isinstance(s, str) else s
    return (uvarint(len(b) + 1) if flexible else i16(len(b))) + b


def array(items, flexible=False):
    """An array of encoded elements; None is null."""
    if items is None:
        return b"\x00" if flexible else i32(-1)
    return (uvarint(len(items) + 1) if flexible else i32(len(items))) + b"".join(items)


TAGS = b"\x00"  # an empty tagged-field section


# ---- response bodies ----

class WireError(AssertionError, ValueError):
    """A response that does not parse: a failed assertion to unittest, and a
    ValueError to whoever catches those."""


class WireReader:
    """Reads a response body, by hand (i16(), string(), array(), ...) or by
    schema (struct()); done() checks that it was consumed exactly.

    `flexible` picks the compact encodings for string(), bytes() and
    array() and makes tags() read a tag section (else it reads nothing)."""

    def __init__(self, data, flexible=False):
        self.d, self.p, self.flexible = data, 0, flexible

    def take(self, n):
        if self.p + n > len(self.d):
            raise WireError(f"response ends at {len(self.d)}, read {n} at {self.p}")
        b = self.d[self.p:self.p + n]
        self.p += n
        return b

    def i8(self): return struct.unpack(">b", self.take(1))[0]
    def i16(self): return struct.unpack(">h", self.take(2))[0]
    def i32(self): return struct.unpack(">i", self.take(4))[0]
    def i64(self): return struct.unpack(">q", self.take(8))[0]
    def bool(self): return self.i8() != 0

    def uvarint(self):
        v, shift = 0, 0
        while True:
            b = self.take(1)[0]
            v |= (b & 0x7F) << shift
            if b < 0x80:
                return v
            shift += 7

    def string(self):
        """A nullable string (None for null)."""
        n = self.uvarint() - 1 if self.flexible else self.i16()
        return None if n < 0 else self.take(n).decode()

    def bytes(self):
        """Nullable bytes (None for null)."""
        n = self.uvarint() - 1 if self.flexible else self.i32()
        return None if n < 0 else self.take(n)

    def compact(self):
        """A compact nullable string or bytes, as bytes (None for null),
        whatever `flexible` says."""
        n = self.uvarint()
        return None if n == 0 else self.take(n - 1)

    def array(self, element):
        """[element(self)...], or None for null; each struct's tag section
        is read after it."""
        n = self.uvarint() - 1 if self.flexible else self.i32()
        if n < 0:
            return None
        out = []
        for _ in range(n):
            out.append(element(self))
            self.tags()
        return out

    def tags(self):
        if self.flexible:
            for _ in range(self.uvarint()):
                self.uvarint()
                self.take(self.uvarint())

    def done(self):
        """Reads the closing tag section (flexible); raises WireError if
        anything is left over, else returns True."""
        self.tags()
        if self.p != len(self.d):
            raise WireError(f"{len(self.d) - self.p} bytes left over")
        return True

    # By schema, for flexible bodies (compact strings and arrays). A schema
    # is a list of (name, type); types: "i8" "i16" "i32" "i64" "uuid" "str"
    # "nstr" "bytes" "nbytes", ("arr", schema) for an array of structs (each
    # closed by a tag section), ("narr", schema) nullable, ("ints",) for
    # []int32, ("strs",) for []string. A struct's tag section is read after
    # its fields.

    def field(self, t):
        fixed = {"i8": ">b", "i16": ">h", "i32": ">i", "i64": ">q"}
        if isinstance(t, str) and t in fixed:
            return struct.unpack(fixed[t], self.take(struct.calcsize(fixed[t])))[0]
        if t == "uuid":
            return self.take(16)
        if t in ("str", "nstr", "bytes", "nbytes"):
            n = self.uvarint()
            if n == 0:
                if t in ("str", "bytes"):
                    raise WireError("null where not nullable")
                return None
            b = self.take(n - 1)
            return b.decode() if "str" in t else b
        kind = t[0]
        n = self.uvarint()
        if n == 0:
            if kind != "narr":
                raise WireError("null array where not nullable")
            return None
        if kind == "ints":
            return [self.field("i32") for _ in range(n - 1)]
        if kind == "strs":
            return [self.field("str") for _ in range(n - 1)]
        return [self.struct(t[1]) for _ in range(n - 1)]

    def struct(self, schema):
        out = {name: self.field(t) for name, t in schema}
        self.tags()
        return out


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def varint(n):
    n = (n << 1) ^ (n >> 63)
    out = b""
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def record_batch(pid, epoch, seq, values, ts=1000, transactional=False):
    """A RecordBatch v2 with producer fields (no compression)."""
    records = b""
    for i, v in enumerate(values):
        body = b"\x00" + varint(0) + varint(i) + varint(-1) + varint(len(v)) + v + varint(0)
        records += varint(len(body)) + body
    attributes = 0x10 if transactional else 0
    after_crc = struct.pack(">hiqqqhii", attributes, len(values) - 1, ts, ts, pid, epoch, seq, len(values)) + records
    crc = crc32c(after_crc)
    rest = struct.pack(">ibI", -1, 2, crc) + after_crc
    return struct.pack(">qi", 0, len(rest)) + rest
