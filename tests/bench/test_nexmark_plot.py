"""bench/nexmark_plot.py on small fixtures, so the plot script cannot rot: the
SVG is written with one group per query of the input (both input shapes the
bench may print), beside the committed bench/nexmark_published.json; bad
input gives one line on stderr and exit status 1."""
import json
import os
import re
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("RIVULET_SOURCE_DIR", os.path.join(HERE, os.pardir, os.pardir))
SCRIPT = os.path.join(SOURCE, "bench", "nexmark_plot.py")
PUBLISHED = os.path.join(SOURCE, "bench", "nexmark_published.json")


def run(*args, stdin=None):
    return subprocess.run([sys.executable, SCRIPT, *args], input=stdin, capture_output=True,
                          text=True, timeout=120)


def query_groups(svg):
    return re.findall(r'<g id="query-(q\d+)"', svg)


class NexmarkPlotTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.out = os.path.join(self.dir.name, "plots", "nexmark.svg")

    def tearDown(self):
        self.dir.cleanup()

    def plot(self, results, *extra, stdin=None):
        r = run(results, "--published", PUBLISHED, "--out", self.out, *extra, stdin=stdin)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(self.out, encoding="utf-8") as f:
            return f.read()

    def fail_with(self, r, pattern):
        self.assertEqual(r.returncode, 1, r.stdout + r.stderr)
        self.assertEqual(len(r.stderr.splitlines()), 1, r.stderr)
        self.assertRegex(r.stderr, r"^nexmark_plot: " + pattern)
        self.assertFalse(os.path.exists(self.out))

    def test_json_lines(self):
        svg = self.plot(os.path.join(HERE, "nexmark_results.jsonl"))
        self.assertTrue(svg.lstrip().startswith("<?xml"))
        self.assertEqual(query_groups(svg), ["q0", "q1", "q5", "q7", "q12"])
        self.assertIn("(unchecked)", svg)  # q7 is "checked": false
        for label in ("Rivulet p1", "Rivulet p2 per core (p2 / 2)"):
            self.assertIn(label, svg)
        with open(PUBLISHED, encoding="utf-8") as f:
            for system in json.load(f)["systems"]:
                self.assertIn(system["name"], svg)

    def test_queries_array_from_stdin(self):
        with open(os.path.join(HERE, "nexmark_results_object.json"), encoding="utf-8") as f:
            svg = self.plot("-", stdin=f.read())
        self.assertEqual(query_groups(svg), ["q3", "q8"])  # in query order

    def test_missing_file(self):
        self.fail_with(run(os.path.join(self.dir.name, "absent.json"), "--out", self.out),
                       r"cannot read .*absent\.json")

    def test_malformed_json(self):
        bad = os.path.join(self.dir.name, "bad.jsonl")
        with open(bad, "w", encoding="utf-8") as f:
            f.write('{"query": "q0", "records_per_s_p1": 1}\n{"query": "q1", \n')
        self.fail_with(run(bad, "--out", self.out), r".*bad\.jsonl:2: malformed JSON")

    def test_no_queries(self):
        self.fail_with(run("-", "--out", self.out, stdin='{"queries": []}'), r"-: no queries")


if __name__ == "__main__":
    unittest.main(verbosity=2)
