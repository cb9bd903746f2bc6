"""Draws the `rivulet bench` results (JSON lines) as an SVG bar chart:
Rivulet's median records/s beside the baseline measured in the same run.
No dependencies beyond the standard library."""
import json
import sys


def main(src, dst):
    rows = [json.loads(line) for line in open(src) if line.strip()]
    width, bar_h, gap, left = 720, 22, 18, 120
    height = 40 + len(rows) * (2 * bar_h + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="12">',
             f'<text x="10" y="20" font-size="14">Records/s, median of runs, beside the baseline of the same run '
             f'(bars scaled per benchmark)</text>']
    y = 40
    for r in rows:
        parts.append(f'<text x="10" y="{y + bar_h + 4}">{r["bench"]}</text>')
        scale = (width - left - 140) / max(r["records_per_s"], r["baseline_records_per_s"])
        for label, value, color in (("rivulet", r["records_per_s"], "#2b6cb0"),
                                    ("baseline", r["baseline_records_per_s"], "#a0aec0")):
            w = max(1, value * scale)
            parts.append(f'<rect x="{left}" y="{y}" width="{w:.0f}" height="{bar_h - 4}" fill="{color}"/>')
            parts.append(f'<text x="{left + w + 6:.0f}" y="{y + bar_h - 8}">{label}: {value / 1e6:.2f} M/s</text>')
            y += bar_h
        parts.append(f'<text x="{left}" y="{y + 12}" fill="#444">ratio {r["ratio"]:.3f}</text>')
        y += gap
    parts.append("</svg>")
    with open(dst, "w") as f:
        f.write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
