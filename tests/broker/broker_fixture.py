"""A real `rivulet broker` process on 127.0.0.1 for the client tests.

Starts the broker on a free port in a fresh data directory, waits until it
accepts connections, and stops it (SIGTERM, then SIGKILL) at the end. Also:
raw request frames, record batches, and a throwaway PKI (make_pki) for the
TLS and SASL_SSL listeners.
"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time

RIVULET = os.environ.get("RIVULET_BINARY", "rivulet")


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
