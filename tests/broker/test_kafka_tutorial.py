"""docs/guide/kafka-tutorial.md, run for real against `rivulet broker`.

The page's Python scripts (each fenced block after `<!-- file: NAME -->`)
and its commands (`$ ...` lines of its console blocks) are taken from the
markdown, pointed at a broker on a free loopback port, and run in the
page's order: topics, console producer and consumer, the Python producer,
two consumers of one group splitting the partitions, stop and restart
resuming from the committed offsets, `rivulet groups` lag, the relay job
through the Kafka connector, and numtest on the embedded log. Console
blocks marked `<!-- test: same-output -->` must print exactly what the page
shows; elsewhere the outcomes are checked (records counted, partitions
split, nothing missing or read twice, the job's output)."""
import contextlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import threading
import time
import unittest

from broker_fixture import RIVULET, Broker, free_port

import confluent_kafka

HERE = os.path.dirname(os.path.abspath(__file__))
DOC = os.path.join(HERE, "..", "..", "docs", "guide", "kafka-tutorial.md")
DOC_BOOTSTRAP = "127.0.0.1:9092"
PYTHON = "/usr/bin/python3"
NUMBER_LINE = re.compile(r"^(\w+): partition (\d+) offset (\d+) key (\d+) number (\d+)$")


def parse_doc(path=DOC):
    """Returns ({file name: source}, [console blocks]); a console block is a
    dict with `same_output` and `commands`, a list of (command, [output lines])."""
    with open(path) as f:
        lines = f.read().split("\n")
    files, blocks = {}, []
    marker, i = None, 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            lang = line[3:].strip()
            j = i + 1
            while not lines[j].startswith("```"):
                j += 1
            body = lines[i + 1:j]
            m = re.fullmatch(r"<!-- file: (\S+) -->", marker or "")
            if lang == "python" and m:
                files[m.group(1)] = "\n".join(body) + "\n"
            elif lang == "console":
                commands = []
                for b in body:
                    if b.startswith("$ "):
                        commands.append((b[2:], []))
                    elif commands:
                        commands[-1][1].append(b)
                blocks.append({"same_output": marker == "<!-- test: same-output -->", "commands": commands})
            marker, i = None, j + 1
            continue
        if line.strip():
            marker = line.strip()
        i += 1
    return files, blocks


class Reader:
    """A process whose stdout lines are collected by a thread."""

    def __init__(self, args, cwd, env):
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     text=True)
        self.lines, self.lock = [], threading.Lock()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def snapshot(self):
        with self.lock:
            return list(self.lines)

    def stop(self, timeout=30):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.thread.join(10)
        self.proc.stdout.close()
        return code


def numbers_of(lines):
    """(name, partition, offset, number) of each record line."""
    out = []
    for line in lines:
        m = NUMBER_LINE.match(line)
        if m:
            assert int(m.group(4)) == int(m.group(5)), line  # the key is the number
            out.append((m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(5))))
    return out


def assigned(lines):
    """{partition: offset or None} of each `assigned partitions` line."""
    out = []
    for line in lines:
        m = re.match(r"^\w+: assigned partitions (.*)$", line)
        if m:
            parts = {}
            for item in m.group(1).split(", "):
                p, at = item.split(" at ")
                parts[int(p)] = None if at == "start" else int(at)
            out.append(parts)
    return out


def wait_for(predicate, timeout, what):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class KafkaTutorialTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.files, cls.blocks = parse_doc()
        cls.work = tempfile.mkdtemp(prefix="rivulet-kafka-tutorial-")
        bindir = os.path.join(cls.work, "bin")
        os.mkdir(bindir)
        binary = shutil.which(RIVULET) or RIVULET
        os.symlink(os.path.abspath(binary), os.path.join(bindir, "rivulet"))
        cls.env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""), PYTHONUNBUFFERED="1")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.work, ignore_errors=True)

    # --- helpers over the page ---

    def commands(self, prefix):
        """(command, expected output) of every `$ prefix...` line of the page, in order."""
        found = [(c, out) for b in self.blocks for c, out in b["commands"] if c.startswith(prefix)]
        self.assertTrue(found, f"the page has no command starting with {prefix!r}")
        return found

    def sh(self, command, cwd, bootstrap, timeout=60):
        r = subprocess.run(["bash", "-c", command.replace(DOC_BOOTSTRAP, bootstrap)], cwd=cwd, env=self.env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)
        return r.returncode, [l.rstrip() for l in r.stdout.splitlines()]

    def run_same_output_block(self, index, cwd, bootstrap):
        block = [b for b in self.blocks if b["same_output"]][index]
        for command, expected in block["commands"]:
            code, out = self.sh(command, cwd, bootstrap)
            self.assertEqual(code, 0, f"$ {command}\n" + "\n".join(out))
            self.assertEqual(out, [l.rstrip().replace(DOC_BOOTSTRAP, bootstrap) for l in expected],
                             f"$ {command} does not print what the page shows")

    def check_command(self, command, expected, cwd, bootstrap):
        code, out = self.sh(command, cwd, bootstrap)
        self.assertEqual(code, 0, f"$ {command}\n" + "\n".join(out))
        self.assertEqual(out, [l.rstrip().replace(DOC_BOOTSTRAP, bootstrap) for l in expected], f"$ {command}")

    def write_scripts(self, cwd, bootstrap):
        for name in ("producer.py", "consumer.py"):
            self.assertIn(name, self.files, f"the page has no block marked <!-- file: {name} -->")
            source = self.files[name]
            self.assertIn(DOC_BOOTSTRAP, source, name)
            with open(os.path.join(cwd, name), "w") as f:
                f.write(source.replace(DOC_BOOTSTRAP, bootstrap))

    def producer_command(self, args):
        for command, expected in self.commands(f"{PYTHON} producer.py"):
            if command.split()[2:] == args.split():
                return command, expected
        self.fail(f"the page does not run producer.py {args}")

    # --- the tests ---

    def test_broker_with_server_properties(self):
        (_, props), = self.commands("cat server.properties")
        (command, expected), = self.commands("rivulet broker --config server.properties")
        cwd = os.path.join(self.work, "props")
        os.mkdir(cwd)
        bootstrap = f"127.0.0.1:{free_port()}"
        with open(os.path.join(cwd, "server.properties"), "w") as f:
            f.write("\n".join(props).replace(DOC_BOOTSTRAP, bootstrap) + "\n")
        proc = subprocess.Popen(["bash", "-c", "exec " + command], cwd=cwd, env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            self.assertEqual(proc.stdout.readline().rstrip(), expected[0].replace(DOC_BOOTSTRAP, bootstrap))
            self.assertTrue(os.path.isdir(os.path.join(cwd, "data")))  # log.dirs=./data
        finally:
            proc.send_signal(signal.SIGINT)
            _, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn("rivulet broker stopped", err)

    def test_tutorial(self):
        cwd = os.path.join(self.work, "tutorial")
        os.mkdir(cwd)
        (command, expected), = self.commands("rivulet broker --data-dir ./data")
        self.assertIn(f"--listen {DOC_BOOTSTRAP}", command)
        broker = Broker(data_dir=os.path.join(cwd, "data")).start()
        readers = []
        try:
            self.tutorial(cwd, broker, readers)
        finally:
            for r in readers:
                r.stop()
            broker.stop()

    def tutorial(self, cwd, broker, readers):
        bs = broker.bootstrap
        self.write_scripts(cwd, bs)

        # 2. Topics: what the page shows, and the data directory is locked.
        self.run_same_output_block(0, cwd, bs)
        (command, expected), = self.commands("rivulet topics --data-dir ./data --list")
        code, out = self.sh(command, cwd, bs)
        self.assertNotEqual(code, 0)
        pid = re.compile(r"process \d+")
        self.assertEqual([pid.sub("process N", l) for l in out], [pid.sub("process N", l) for l in expected])

        # 3. Console producers and consumers; 4. the Python producer.
        self.run_same_output_block(1, cwd, bs)
        self.run_same_output_block(2, cwd, bs)
        # The partitions' end offsets, from the producer's output on the page (checked just above).
        _, sent = self.producer_command("0 1000")
        ends = {int(p): int(n) for p, n in re.findall(r"partition (\d+): (\d+)", sent[0])}
        self.assertEqual(sum(ends.values()), 1000)

        # 5. One member reads the 1000 records from the start.
        (_, expected), _ = self.commands(f"{PYTHON} consumer.py a")
        a = Reader([PYTHON, "consumer.py", "a"], cwd, self.env)
        readers.append(a)
        wait_for(lambda: len(numbers_of(a.snapshot())) >= 1000, 60, "consumer a to read 1000 records")
        self.assertEqual(a.snapshot()[0], expected[0])  # a: assigned partitions 0 at start, ...
        self.assertEqual(assigned(a.snapshot())[0], {0: None, 1: None, 2: None, 3: None})
        self.assertEqual(sorted(n for *_, n in numbers_of(a.snapshot())), list(range(1000)))

        # A second member: the group splits the partitions, each from the committed offsets.
        b = Reader([PYTHON, "consumer.py", "b"], cwd, self.env)
        readers.append(b)
        wait_for(lambda: assigned(b.snapshot()) and len(assigned(a.snapshot())) >= 2, 60,
                 "the group to rebalance between a and b")
        parts_a, parts_b = assigned(a.snapshot())[-1], assigned(b.snapshot())[-1]
        self.assertEqual(len(parts_a), 2, a.snapshot()[-5:])
        self.assertEqual(len(parts_b), 2, b.snapshot()[-5:])
        self.assertEqual(set(parts_a) | set(parts_b), {0, 1, 2, 3})
        self.assertEqual({**parts_a, **parts_b}, ends)  # resumed where a committed

        command, expected = self.producer_command("1000 1000")
        code, out = self.sh(command, cwd, bs)
        self.assertEqual((code, out), (0, expected))
        wanted = set(range(2000))
        wait_for(lambda: {n for *_, n in numbers_of(a.snapshot() + b.snapshot())} >= wanted, 60,
                 "a and b to read numbers 1000..1999")
        for name, reader, parts in (("a", a, parts_a), ("b", b, parts_b)):
            new = [(p, n) for _, p, _, n in numbers_of(reader.snapshot()) if n >= 1000]
            self.assertTrue(new, f"{name} read none of the new records")
            self.assertTrue(all(p in parts for p, _ in new), f"{name} read a partition it does not own")
        command = self.commands("rivulet groups --bootstrap-server 127.0.0.1:9092 --describe --group numbers-app")[0][0]

        def stable_without_lag():
            code, out = self.sh(command, cwd, bs)
            lags = [int(l.split()[4]) for l in out[2:]]
            return code == 0 and out[0] == "Group numbers-app is Stable (2 members)" and lags == [0, 0, 0, 0]
        wait_for(stable_without_lag, 30, "the group to commit everything")

        # Both stop (Ctrl-C): they finish their batch, commit and leave.
        for reader in (a, b):
            self.assertEqual(reader.stop(), 0, reader.snapshot()[-5:])
            self.assertEqual(reader.snapshot()[-1], f"{reader.proc.args[2]}: committed and closed")
        before = numbers_of(a.snapshot() + b.snapshot())
        self.assertEqual(sorted(n for *_, n in before), list(range(2000)), "read twice or missing")

        # Produced while nobody consumes: the lag the page shows.
        self.run_same_output_block(3, cwd, bs)

        # a again: resumes at the committed offsets, reads 2000..2999 once each.
        _, (_, expected) = self.commands(f"{PYTHON} consumer.py a")
        a2 = Reader([PYTHON, "consumer.py", "a"], cwd, self.env)
        readers.append(a2)
        wait_for(lambda: len(numbers_of(a2.snapshot())) >= 1000, 60, "a to read the 1000 new records")
        time.sleep(1)  # anything more would show now
        self.assertEqual(a2.stop(), 0, a2.snapshot()[-5:])
        lines = a2.snapshot()
        self.assertEqual(lines[0], expected[0])  # a: assigned partitions 0 at 533, ...
        self.assertEqual(lines[-1], "a: committed and closed")
        again = [n for *_, n in numbers_of(lines)]
        self.assertEqual(sorted(again), list(range(2000, 3000)))
        self.assertEqual(sorted(n for *_, n in before + numbers_of(lines)), list(range(3000)))
        *_, (command, expected) = self.commands("rivulet groups --bootstrap-server 127.0.0.1:9092 --describe "
                                                "--group numbers-app")
        self.check_command(command, expected, cwd, bs)  # lag 0

        # 6. The relay job reads the topic through the Kafka connector.
        (command, expected), = self.commands("rivulet run relay")
        code, out = self.sh(command, cwd, bs, timeout=90)
        self.assertEqual(code, 0, out)
        self.assertRegex(self.done_line(out), r"^rivulet: done in [0-9.]+ s  in 3000 \([^)]*\)  out 3000 ")
        self.assertRegex(expected[-1], r"  in 3000 .*  out 3000 ")
        source = self.read_topic(bs, "numbers", 3000)
        upper = self.read_topic(bs, "numbers-upper", 3000)
        self.assertEqual(sorted(upper), sorted(source))
        for key, (partition, value) in upper.items():
            self.assertEqual(json.loads(value), {"NUMBER": int(key)})
            self.assertEqual(partition, source[key][0], f"key {key} changed partition")
        for prefix in ("rivulet topics --bootstrap-server 127.0.0.1:9092 --describe --topic numbers-upper",
                       "rivulet groups --bootstrap-server 127.0.0.1:9092 --describe --group relay"):
            (c, e), = self.commands(prefix)
            self.check_command(c, e, cwd, bs)
        code, out = self.sh(command, cwd, bs, timeout=90)  # committed: nothing new
        self.assertEqual(code, 0, out)
        self.assertRegex(self.done_line(out), r"^rivulet: done in [0-9.]+ s  in 0 ")

        # Without a broker: numtest on the same data directory, twice.
        self.assertEqual(broker.stop(signal.SIGINT), 0)
        runs = self.commands("rivulet run numtest --data-dir ./data")
        self.assertEqual(len(runs), 2)
        for (command, expected), read in zip(runs, (3000, 0)):
            code, out = self.sh(command, cwd, bs)
            self.assertEqual(code, 0, out)
            self.assertEqual([l for l in out if l.startswith("table")],
                             [l for l in expected if l.startswith("table")])
            self.assertRegex(self.done_line(out), rf"^rivulet: done in [0-9.]+ s  in {read} ")
        (query, expected), = self.commands("sqlite3 data/numtest.db")
        sql = re.fullmatch(r"sqlite3 data/numtest.db '(.*)'", query).group(1)
        with contextlib.closing(sqlite3.connect(os.path.join(cwd, "data", "numtest.db"))) as db:
            rows = ["|".join(str(v) for v in row) for row in db.execute(sql)]
        self.assertEqual(rows, expected)
        for prefix in ("rivulet groups --data-dir ./data --describe --group my-group",
                       "rivulet groups --data-dir ./data --list"):
            (c, e), = self.commands(prefix)
            self.check_command(c, e, cwd, bs)

    def done_line(self, out):
        """The job's summary line (stderr, merged with stdout in any order)."""
        done = [l for l in out if l.startswith("rivulet: done")]
        self.assertEqual(len(done), 1, out)
        return done[0]

    def read_topic(self, bootstrap, topic, expect, timeout=30):
        """{key: (partition, value)} of every record, read from the beginning."""
        # Partitions assigned by hand: no group joins (the page lists the groups).
        c = confluent_kafka.Consumer({"bootstrap.servers": bootstrap, "group.id": "unused",
                                      "enable.auto.commit": False})
        c.assign([confluent_kafka.TopicPartition(topic, p, confluent_kafka.OFFSET_BEGINNING) for p in range(4)])
        seen, count = {}, 0
        deadline = time.time() + timeout
        while time.time() < deadline and count < expect:
            m = c.poll(0.5)
            if m is None or m.error():
                continue
            seen[m.key().decode()] = (m.partition(), m.value().decode())
            count += 1
        c.close()
        self.assertEqual(count, expect, f"records of {topic}")
        self.assertEqual(len(seen), expect, f"distinct keys of {topic}")
        return seen


if __name__ == "__main__":
    unittest.main()
