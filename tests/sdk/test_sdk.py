"""The installed SDK, as a user outside the source tree meets it.

Stages `cmake --install` of this build (DESTDIR) into a temporary prefix,
then, against that prefix only (no include path into the source tree):
the layout (librivulet with its SONAME, the public headers and none of the
private ones, the CMake package, pkg-config); a project made by the staged
`rivulet new-job`, built, tested and run with the commands it prints; each
project of examples/ copied out of the tree, built, tested, and its job run
through the staged `rivulet --job-lib` (the Kafka one against a staged
`rivulet broker`); and the Debian packages cpack makes (file lists and
dependencies, dpkg-deb).

Environment: RIVULET_BUILD_DIR, RIVULET_SOURCE_DIR (set by tests/CMakeLists.txt).
"""
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

BUILD = os.environ["RIVULET_BUILD_DIR"]
SOURCE = os.environ["RIVULET_SOURCE_DIR"]
PREFIX = "/opt/rivulet"  # inside the stage


def run(args, cwd=None, env=None, timeout=600, input=None):
    r = subprocess.run(args, cwd=cwd, env=env, timeout=timeout, capture_output=True, text=True, input=input)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(args)} exited {r.returncode}\nstdout:\n{r.stdout[-4000:]}\n"
                             f"stderr:\n{r.stderr[-4000:]}")
    return r


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StagedInstall(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="rivulet-sdk-")
        cls.stage = os.path.join(cls.tmp, "stage")
        env = dict(os.environ, DESTDIR=cls.stage)
        run(["cmake", "--install", BUILD, "--prefix", PREFIX], env=env)
        cls.prefix = cls.stage + PREFIX
        cls.rivulet = os.path.join(cls.prefix, "bin", "rivulet")
        # A user's environment: nothing of the build or the source tree.
        cls.env = {k: v for k, v in os.environ.items() if not k.startswith("RIVULET_")}
        cls.env["HOME"] = os.path.join(cls.tmp, "home")
        os.makedirs(cls.env["HOME"])
        cls.generator = ["-G", "Ninja"] if shutil.which("ninja") else []

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def build_project(self, src, name):
        """Configures, builds and tests a job project against the stage only."""
        build = os.path.join(src, "build")
        run(["cmake", "-S", src, "-B", build, "-DCMAKE_PREFIX_PATH=" + self.prefix,
             "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON"] + self.generator, env=self.env)
        run(["cmake", "--build", build, "-j2"], env=self.env, timeout=900)
        # Nothing was compiled against the source or build tree.
        with open(os.path.join(build, "compile_commands.json")) as f:
            for cmd in json.load(f):
                self.assertNotIn(SOURCE + "/", cmd["command"].replace(src, "<project>"))
                self.assertNotIn(BUILD + "/", cmd["command"])
        module = os.path.join(build, f"lib{name}.so")
        self.assertTrue(os.path.isfile(module), module)
        out = run(["ctest", "--test-dir", build, "--output-on-failure"], env=self.env).stdout
        self.assertRegex(out, r"100% tests passed, 0 tests failed out of [1-9]")
        return module

    def test_layout(self):
        p = self.prefix
        lib = os.path.join(p, "lib", "librivulet.so")
        real = os.path.realpath(lib)
        self.assertRegex(os.path.basename(real), r"^librivulet\.so\.\d+\.\d+\.\d+$")
        dyn = run(["objdump", "-p", real]).stdout
        soname = re.search(r"SONAME\s+(\S+)", dyn).group(1)
        self.assertRegex(soname, r"^librivulet\.so\.\d+\.\d+$")
        self.assertTrue(os.path.islink(os.path.join(p, "lib", soname)))
        # The launcher finds the library of its own prefix and links it (one copy per process).
        exe = run(["objdump", "-p", self.rivulet]).stdout
        self.assertIn("$ORIGIN/../lib", exe)
        self.assertIn(f"NEEDED               {soname}", exe)
        run([self.rivulet, "jobs"], env=self.env)
        # Public headers, rewritten to their installed names; the private ones absent.
        inc = os.path.join(p, "include", "rivulet")
        for h in ["rivulet.h", "testing.h", "jobs/job.h", "jobs/module.h", "operators/stream.h",
                  "connectors/log/log_connector.h", "engine/keyed_state.h", "base/version.h"]:
            self.assertTrue(os.path.isfile(os.path.join(inc, h)), h)
        self.assertFalse(os.path.exists(os.path.join(inc, "log", "kafka")), "the broker's headers are private")
        for private in ["log/segment.h", "log/partition.h", "log/segment_index.h", "tools/command.h"]:
            self.assertFalse(os.path.exists(os.path.join(inc, private)), private)
        for h in glob.glob(inc + "/**/*.h", recursive=True):
            with open(h) as f:
                for line in f:
                    m = re.match(r'#include "([^"]+)"', line)
                    if m:
                        self.assertTrue(m.group(1).startswith("rivulet/"), f"{h}: {line}")
                        self.assertTrue(os.path.isfile(os.path.join(p, "include", m.group(1))), f"{h}: {line}")
        for f in ["RivuletConfig.cmake", "RivuletConfigVersion.cmake", "RivuletTargets.cmake", "RivuletJob.cmake",
                  "module_entry.cc"]:
            self.assertTrue(os.path.isfile(os.path.join(p, "lib", "cmake", "Rivulet", f)), f)

    def test_pkg_config_builds_a_program(self):
        src = os.path.join(self.tmp, "pc.cc")
        with open(src, "w") as f:
            f.write('#include <cstdio>\n#include "rivulet/jobs/module.h"\n'
                    'int main() { std::printf("%s\\n", rivulet::jobs::AbiStamp()); }\n')
        env = dict(self.env, PKG_CONFIG_PATH=os.path.join(self.prefix, "lib", "pkgconfig"))
        flags = run(["pkg-config", "--cflags", "--libs", "rivulet"], env=env).stdout.split()
        includes = [os.path.normpath(x[2:]) for x in flags if x.startswith("-I")]
        self.assertIn(os.path.join(self.prefix, "include"), includes)
        exe = os.path.join(self.tmp, "pc")
        run(["g++", src, "-o", exe] + flags, env=env)
        out = run([exe], env=dict(env, LD_LIBRARY_PATH=os.path.join(self.prefix, "lib"))).stdout
        self.assertRegex(out, r"^rivulet \d+\.\d+\.\d+; gxx-abi")
        # A job module, the way rivulet.pc says: its entry point and RIVULET_JOB_MODULE.
        job = os.path.join(self.tmp, "pcjob.cc")
        with open(job, "w") as f:
            f.write('#include <ostream>\n#include "rivulet/rivulet.h"\n'
                    'namespace { rivulet::Status Run(rivulet::jobs::JobContext& c) { *c.out << "pc job\\n"; '
                    'return rivulet::Status::Ok(); }\n'
                    'RIVULET_REGISTER_JOB(pcjob, {"pcjob", "built with pkg-config", {}, Run}); }\n')
        entry = run(["pkg-config", "--variable=moduleentry", "rivulet"], env=env).stdout.strip()
        module = os.path.join(self.tmp, "libpcjob.so")
        run(["g++", "-shared", "-fPIC", "-DRIVULET_JOB_MODULE=1", job, entry, "-o", module] + flags, env=env)
        self.assertEqual(run([self.rivulet, "run", "--job-lib", module, "pcjob"], env=self.env).stdout, "pc job\n")

    def test_new_job_project_builds_tests_and_runs(self):
        proj = os.path.join(self.tmp, "clicks")
        r = run([self.rivulet, "new-job", "clicks", proj], env=self.env)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[1].strip(), f"cmake -S {proj} -B {proj}/build -DCMAKE_PREFIX_PATH={self.prefix} "
                                           f"&& cmake --build {proj}/build")
        self.assertEqual(lines[2].strip(), f"ctest --test-dir {proj}/build")
        self.assertEqual(lines[3].strip(), f"{self.rivulet} run --job-lib {proj}/build/libclicks.so clicks")
        for f in ["CMakeLists.txt", "README.md", "clicks.h", "clicks.cc", "clicks_test.cc"]:
            self.assertTrue(os.path.isfile(os.path.join(proj, f)), f)
        # A second new-job into a non-empty directory is refused.
        bad = subprocess.run([self.rivulet, "new-job", "clicks", proj], env=self.env, capture_output=True, text=True)
        self.assertNotEqual(bad.returncode, 0)
        self.assertIn("exists and is not empty", bad.stderr)
        module = self.build_project(proj, "clicks")
        out = run([self.rivulet, "run", "--job-lib", module, "clicks", "--set", "views=1000", "--no-progress",
                   "--data-dir", os.path.join(self.tmp, "clicks-data")], env=self.env).stdout
        # 1000 views 10 ms apart over 5 pages: one 10 s window, 200 views per page.
        self.assertEqual(sorted(out.splitlines()), [f"[0,10000) /page-{i} 200" for i in range(5)])

    def copy_example(self, name):
        dst = os.path.join(self.tmp, "examples", name)
        shutil.copytree(os.path.join(SOURCE, "examples", name), dst)
        return dst

    def test_example_on_the_embedded_log(self):
        proj = self.copy_example("payments")
        module = self.build_project(proj, "payments")
        data = os.path.join(self.tmp, "payments-data")
        env = dict(self.env, RIVULET_DATA_DIR=data)
        run([self.rivulet, "topics", "--create", "--topic", "payments", "--partitions", "3"], env=env)
        # Produced now: their timestamps are the wall clock, all in a window or two.
        lines = "".join(f"{u}:{c}\n" for u, c in [("alice", 1250), ("bob", 300), ("alice", 99), ("carol", 5),
                                                    ("bob", 700), ("alice", "x1")])
        run([self.rivulet, "produce", "--topic", "payments", "--key-separator", ":"], env=env, input=lines)
        r = subprocess.run([self.rivulet, "run", "--job-lib", module, "payments", "--no-progress",
                            "--set", "window_ms=3600000"], env=env, capture_output=True, text=True, timeout=300)
        # "alice:x1" is a bad record: the job fails on it (the default policy), naming it and why.
        self.assertNotEqual(r.returncode, 0, r.stdout)
        self.assertRegex(r.stderr, r"record payments/\d+@\d+ could not be decoded: "
                                   r"value 'x1' is not a whole number of cents")
        run([self.rivulet, "topics", "--delete", "--topic", "payments"], env=env)
        run([self.rivulet, "topics", "--create", "--topic", "payments", "--partitions", "3"], env=env)
        run([self.rivulet, "produce", "--topic", "payments", "--key-separator", ":"], env=env,
            input=lines.replace("alice:x1\n", ""))
        out = run([self.rivulet, "run", "--job-lib", module, "payments", "--no-progress", "--fresh",
                   "--set", "window_ms=3600000"], env=env).stdout
        totals = {}
        for line in out.splitlines():
            user, _start, cents = line.split()
            totals[user] = totals.get(user, 0) + int(cents)
        self.assertEqual(totals, {"alice": 1349, "bob": 1000, "carol": 5})
        # The same results went to the topic `spend`: key user, value "START CENTS".
        spend = run([self.rivulet, "consume", "--topic", "spend", "--from-beginning", "--print-key",
                     "--separator", "=", "--timeout-ms", "1000"], env=env).stdout
        self.assertEqual(sorted(l.replace("=", " ") for l in spend.splitlines()), sorted(out.splitlines()))

    def test_example_reading_a_kafka_topic(self):
        proj = self.copy_example("kafka-errors")
        module = self.build_project(proj, "kafka_errors")
        port = free_port()
        bootstrap = f"127.0.0.1:{port}"
        broker = subprocess.Popen([self.rivulet, "broker", "--data-dir", os.path.join(self.tmp, "broker"),
                                   "--listen", bootstrap], env=self.env, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL)
        try:
            self.assertIn("listening on", broker.stdout.readline().decode())
            lines = "api:ERROR timeout\napi:INFO ok\ndb:ERROR disk full\napi:ERROR again\nweb:WARN slow\n"
            run([self.rivulet, "produce", "--topic", "logs", "--key-separator", ":", "--bootstrap-server",
                 bootstrap], env=self.env, input=lines)
            out = run([self.rivulet, "run", "--job-lib", module, "kafka_errors", "--bootstrap-server", bootstrap,
                       "--no-progress", "--parallelism", "1", "--set", "idle_end_ms=3000",
                       "--set", "window_ms=3600000"], env=self.env, timeout=120).stdout
            counts = {}
            for line in out.splitlines():
                service, _start, n = line.split()
                counts[service] = counts.get(service, 0) + int(n)
            self.assertEqual(counts, {"api": 2, "db": 1})
        finally:
            broker.send_signal(signal.SIGTERM)
            try:
                broker.wait(timeout=20)
            except subprocess.TimeoutExpired:
                broker.kill()
                broker.wait()
            broker.stdout.close()


class DebianPackages(unittest.TestCase):
    def test_cpack_makes_rivulet_and_rivulet_dev(self):
        tmp = tempfile.mkdtemp(prefix="rivulet-deb-")
        try:
            run(["cpack", "-G", "DEB", "--config", os.path.join(BUILD, "CPackConfig.cmake"), "-B", tmp],
                timeout=900)
            debs = sorted(os.path.basename(p) for p in glob.glob(os.path.join(tmp, "*.deb")))
            self.assertEqual(len(debs), 2, debs)
            runtime = [d for d in debs if d.startswith("rivulet_")]
            dev = [d for d in debs if d.startswith("rivulet-dev_")]
            self.assertEqual(len(runtime), 1, debs)
            self.assertEqual(len(dev), 1, debs)
            runtime, dev = os.path.join(tmp, runtime[0]), os.path.join(tmp, dev[0])

            files = run(["dpkg-deb", "-c", runtime]).stdout
            for f in ["./usr/bin/rivulet", "./usr/share/doc/rivulet/README.md"]:
                self.assertIn(f, files)
            self.assertRegex(files, r"\./usr/lib/librivulet\.so\.\d+\.\d+\.\d+")
            self.assertRegex(files, r"\./usr/lib/librivulet\.so\.\d+\.\d+ -> librivulet\.so\.\d+\.\d+\.\d+")
            self.assertNotIn("/include/", files)
            depends = run(["dpkg-deb", "-f", runtime, "Depends"]).stdout
            for lib in ["librdkafka1", "libtbb12", "libpq5", "libsqlite3-0", "libprotobuf32", "libspdlog1", "libc6"]:
                self.assertIn(lib, depends)
            self.assertEqual(run(["dpkg-deb", "-f", runtime, "Package"]).stdout.strip(), "rivulet")

            files = run(["dpkg-deb", "-c", dev]).stdout
            for f in ["./usr/include/rivulet/rivulet.h", "./usr/include/rivulet/testing.h",
                      "./usr/include/rivulet/jobs/job.h", "./usr/lib/cmake/Rivulet/RivuletConfig.cmake",
                      "./usr/lib/cmake/Rivulet/RivuletJob.cmake", "./usr/lib/cmake/Rivulet/module_entry.cc",
                      "./usr/lib/pkgconfig/rivulet.pc"]:
                self.assertIn(f, files)
            self.assertRegex(files, r"\./usr/lib/librivulet\.so -> librivulet\.so\.\d+\.\d+")
            self.assertNotIn("./usr/include/rivulet/log/kafka", files)
            self.assertNotIn("./usr/bin/rivulet", files)
            depends = run(["dpkg-deb", "-f", dev, "Depends"]).stdout
            version = run(["dpkg-deb", "-f", runtime, "Version"]).stdout.strip()
            self.assertIn(f"rivulet (= {version})", depends)
            for pkg in ["libprotobuf-dev", "libspdlog-dev", "libabsl-dev", "libboost-dev", "nlohmann-json3-dev",
                        "cmake", "g++"]:
                self.assertIn(pkg, depends)
            # apt would accept both on this machine (nothing installed: a simulation).
            if os.geteuid() == 0 and shutil.which("apt-get"):
                sim = subprocess.run(["apt-get", "install", "--simulate", "--no-download", runtime, dev],
                                     capture_output=True, text=True, timeout=300)
                self.assertEqual(sim.returncode, 0, sim.stdout[-3000:] + sim.stderr[-3000:])
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    unittest.main(verbosity=2)
