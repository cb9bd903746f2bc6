#!/usr/bin/python3
"""Draws `rivulet bench nexmark --query all --json` as an SVG: one bar group per
query, events/s per core on a log scale, Rivulet at parallelism 1 and 2 (p2 / 2)
beside the published per-core figures in bench/nexmark_published.json.

  bench/nexmark_plot.py RESULTS [--published FILE] [--out FILE]

RESULTS is the bench's JSON (one object per line, or one object with a
"queries" array), or - for standard input. Needs matplotlib (Debian's
python3-matplotlib, installed by scripts/install-deps.sh). Errors print one
line and exit 1."""
import argparse
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_PUBLISHED = os.path.join(HERE, "nexmark_published.json")
DEFAULT_OUT = os.path.join(HERE, os.pardir, "docs", "bench", "nexmark.svg")
RIVULET_COLORS = ("#2b6cb0", "#90cdf4")
PUBLISHED_COLORS = ("#718096", "#a0aec0", "#dd6b20", "#38a169", "#805ad5")


class InputError(Exception):
    """A problem with the input files; main prints it as one line."""


def read_text(path):
    if path == "-":
        return sys.stdin.read()
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError as e:
        raise InputError(f"cannot read {path}: {e.strerror}")


def parse_results(text, path):
    """Returns the query objects of the bench's JSON: either one object per
    line or a single object holding a "queries" array."""
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict) and "queries" in whole:
        rows = whole["queries"]
        if not isinstance(rows, list):
            raise InputError(f"{path}: \"queries\" is not an array")
    elif isinstance(whole, dict):
        rows = [whole]
    elif isinstance(whole, list):
        rows = whole
    else:
        rows = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise InputError(f"{path}:{number}: malformed JSON: {e.msg}")
    if not rows:
        raise InputError(f"{path}: no queries")
    return rows


def rate(row, field, query, path):
    """The positive number in row[field], or None when it is absent, null or
    not positive (no bar can stand for it on a log scale)."""
    value = row.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{path}: {query}: {field} is not a number")
    return value if value > 0 else None


def query_order(query):
    return int(query[1:])


def load_rivulet(path):
    rows = parse_results(read_text(path), path)
    queries = {}
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("query"), str):
            raise InputError(f"{path}: an entry has no \"query\" name")
        q = row["query"]
        if not re.fullmatch(r"q\d+", q):
            raise InputError(f"{path}: query name {q!r} is not of the form qN")
        if q in queries:
            raise InputError(f"{path}: {q} appears twice")
        p1 = rate(row, "records_per_s_p1", q, path)
        p2 = rate(row, "records_per_s_p2", q, path)
        queries[q] = {"p1": p1, "p2_per_core": p2 / 2 if p2 else None,
                      "checked": row.get("checked") is not False}
    return dict(sorted(queries.items(), key=lambda item: query_order(item[0])))


def load_published(path):
    try:
        doc = json.loads(read_text(path))
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{e.lineno}: malformed JSON: {e.msg}")
    systems = doc.get("systems") if isinstance(doc, dict) else None
    if not isinstance(systems, list):
        raise InputError(f"{path}: no \"systems\" array")
    for s in systems:
        if not (isinstance(s, dict) and isinstance(s.get("name"), str)
                and isinstance(s.get("per_core_events_per_s"), dict)):
            raise InputError(f"{path}: a system lacks \"name\" or \"per_core_events_per_s\"")
    return systems


def plot(queries, systems, out):
    try:
        import matplotlib
    except ImportError:
        raise InputError("matplotlib not found: install python3-matplotlib (scripts/install-deps.sh)")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    matplotlib.rcParams["svg.fonttype"] = "none"     # labels stay text, searchable
    matplotlib.rcParams["svg.hashsalt"] = "rivulet"  # the same input gives the same file

    names = list(queries)
    series = [("Rivulet p1", [queries[q]["p1"] for q in names], RIVULET_COLORS[0]),
              ("Rivulet p2 per core (p2 / 2)", [queries[q]["p2_per_core"] for q in names], RIVULET_COLORS[1])]
    for i, s in enumerate(systems):
        figures = s["per_core_events_per_s"]
        series.append((s["name"], [figures.get(q) for q in names],
                       PUBLISHED_COLORS[i % len(PUBLISHED_COLORS)]))

    fig, ax = plt.subplots(figsize=(max(8.0, 0.75 * len(names) + 2.5), 5.0))
    width = 0.84 / len(series)
    for i, (label, values, color) in enumerate(series):
        xs = [x + (i - (len(series) - 1) / 2) * width for x, v in enumerate(values) if v]
        ys = [v for v in values if v]
        ax.bar(xs, ys, width=width, color=color, label=label)
    ax.set_yscale("log")
    ax.set_xticks(range(len(names)))
    labels = ax.set_xticklabels([q if queries[q]["checked"] else f"{q}\n(unchecked)" for q in names])
    for q, tick in zip(names, labels):
        tick.set_gid(f"query-{q}")                   # one <g id="query-qN"> per group
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylabel("events/s per core (log scale)")
    ax.set_title("NEXMark: events/s per core, Rivulet beside published figures")
    ax.grid(axis="y", which="major", color="#e2e8f0")
    ax.set_axisbelow(True)
    ax.legend(fontsize="small", ncol=min(len(series), 3), frameon=False,
              loc="upper center", bbox_to_anchor=(0.5, -0.14))
    fig.tight_layout()
    directory = os.path.dirname(os.path.abspath(out))
    try:
        os.makedirs(directory, exist_ok=True)
        fig.savefig(out, format="svg", bbox_inches="tight", metadata={"Date": None})
    except OSError as e:
        raise InputError(f"cannot write {out}: {e.strerror}")
    finally:
        plt.close(fig)


class Parser(argparse.ArgumentParser):
    def error(self, message):
        sys.stderr.write(f"nexmark_plot: {message}\n")
        sys.exit(1)


def main(argv):
    parser = Parser(description=__doc__.splitlines()[0])
    parser.add_argument("results", help="the bench's JSON, or - for standard input")
    parser.add_argument("--published", default=DEFAULT_PUBLISHED,
                        help="published per-core figures (default: bench/nexmark_published.json)")
    parser.add_argument("--out", default=os.path.normpath(DEFAULT_OUT),
                        help="the SVG to write (default: docs/bench/nexmark.svg)")
    args = parser.parse_args(argv)
    try:
        queries = load_rivulet(args.results)
        systems = load_published(args.published)
        plot(queries, systems, args.out)
    except InputError as e:
        sys.stderr.write(f"nexmark_plot: {e}\n")
        return 1
    print(f"nexmark_plot: {len(queries)} queries written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
