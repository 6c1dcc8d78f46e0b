"""One table from the benchmarks' --json lines (benchmarks/run collects them), and the figures of
benchmarks/RESULTS.md.

    python benchmarks/report.py LINES.jsonl [--write-results benchmarks/RESULTS.md]

The table has a row per figure: benchmark, backend, size, figure, value, the issue's target where it
names one, and whether it is met (at the size the target is set for; a list page measured on fewer
than 100,000 projects is not judged). `--write-results` replaces the part of RESULTS.md between the
markers `<!-- results:begin -->` and `<!-- results:end -->` by this run's machine, date, the
before/after table and the full table."""
from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
LIST_SIZE = 100_000                       # the list pages' target is set at this many projects
SIZE_KEYS = {"completion": "rounds", "engine": "rounds", "lists": "projects", "http": "completions",
             "timers": "count", "manage": "projects", "overlay": "projects"}
PAGE_SETS = ("lists", "manage", "overlay")   # list pages and the managers' portfolio: judged at LIST_SIZE
SKIP = {"benchmark", "backend", "rounds", "runs", "count", "completions", "projects"}


def _at_most(limit):
    return lambda value: value <= limit


def _at_least(limit):
    return lambda value: value >= limit


def _below(limit):
    return lambda value: value < limit


def target(row: dict, figure: str):
    """(text, check) of the issue's target for the figure, or None."""
    name, backend = row["benchmark"], row["backend"]
    if name == "completion" and figure == "http_over_floor":
        limit = 2.5 if backend == "sqlite" else 4
        return f"≤ {limit}× floor", _at_most(limit)
    if name == "completion" and figure == "statements":
        return "≤ 10", _at_most(10)
    if name == "http" and figure == "ratio_2w_over_1w_c4" and backend == "postgresql":
        return "≥ 1.8×", _at_least(1.8)
    if name == "timers" and figure == "ratio_2_over_1" and backend == "postgresql":
        return "≥ 1.6×", _at_least(1.6)
    # the managers' CSV files are whole exports (their time grows with their rows): recorded, not judged
    if (name in PAGE_SETS and figure.endswith("_p95_ms") and (name == "lists" or backend == "postgresql")
            and "_csv_" not in figure):
        return "< 50 ms at 100,000 projects", _below(50)
    return None


def figures(row: dict):
    """(figure, value) of a line: its numbers, nested dicts (parse_ms: {key: ms}) spread out."""
    for key, value in row.items():
        if key in SKIP:
            continue
        if isinstance(value, dict):
            for sub, inner in value.items():
                if isinstance(inner, (int, float)):
                    yield f"{key}[{sub}]", inner
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            yield key, value


def verdict(row: dict, figure: str, value) -> tuple[str, str]:
    found = target(row, figure)
    if found is None:
        return "", ""
    text, check = found
    if row["benchmark"] in PAGE_SETS and row.get("projects", 0) < LIST_SIZE:
        return text, f"({row['projects']:,} projects: not judged)"
    return text, "yes" if check(value) else "NO"


def table_rows(lines: list[dict]) -> list[list[str]]:
    rows = []
    for row in lines:
        size_key = SIZE_KEYS.get(row["benchmark"])
        size = f"{size_key} {row[size_key]:,}" if size_key in row else ""
        for figure, value in figures(row):
            text, met = verdict(row, figure, value)
            rows.append([row["benchmark"], row["backend"], size, figure, f"{value:g}", text, met])
    return rows


def render(rows: list[list[str]], header: list[str], markdown: bool) -> str:
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        out += ["| " + " | ".join(r) + " |" for r in rows]
        return "\n".join(out)
    widths = [max(_width(x) for x in col) for col in zip(header, *rows, strict=True)]
    out = ["  ".join(_pad(c, w) for c, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(_pad(c, w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


HEADER = ["benchmark", "backend", "size", "figure", "value", "target", "met"]


# --- RESULTS.md ----------------------------------------------------------------------------------

def _find(lines, benchmark, backend, figure):
    for row in lines:
        if row["benchmark"] == benchmark and row["backend"] == backend and figure in row:
            return row[figure]
    return None


def _fmt(value, unit: str = "") -> str:
    return "…" if value is None else f"{value:g}{unit}"


def _both(lines, benchmark, figure) -> str:
    """'PostgreSQL m ms (p95 p ms) · SQLite …' of a list page."""
    def one(backend):
        median = _find(lines, benchmark, backend, f"{figure}_median_ms")
        p95 = _find(lines, benchmark, backend, f"{figure}_p95_ms")
        size = _find(lines, benchmark, backend, "projects")
        note = f", {size:,} projects" if size is not None and size != LIST_SIZE else ""
        return f"{_fmt(median, ' ms')} (p95 {_fmt(p95, ' ms')}{note})"
    return f"PostgreSQL {one('postgresql')} · SQLite {one('sqlite')}"


def before_after(lines: list[dict]) -> list[list[str]]:
    """The figures the issue quotes as measured before, beside this run's, with the targets."""
    pg = "postgresql"
    w1 = [_find(lines, "http", pg, f"completions_per_s_w1_c{c}") for c in (1, 4)]
    return [
        ["completion, POST /api/v1/tasks/{id}/complete, SQLite (median)", "14 ms",
         _fmt(_find(lines, "completion", "sqlite", "http_ms"), " ms"), ""],
        ["completion, PostgreSQL (median)", "25 ms", _fmt(_find(lines, "completion", pg, "http_ms"), " ms"), ""],
        ["SQL statements per completion", "34 in 3 transactions",
         f"{_fmt(_find(lines, 'completion', 'sqlite', 'statements'))} (SQLite) · "
         f"{_fmt(_find(lines, 'completion', pg, 'statements'))} (PostgreSQL)", "≤ 10"],
        ["completion ÷ floor (the same engine step + state write and read), SQLite", "10–23×",
         _fmt(_find(lines, "completion", "sqlite", "http_over_floor"), "×"), "≤ 2.5×"],
        ["completion ÷ floor, PostgreSQL", "18–40×", _fmt(_find(lines, "completion", pg, "http_over_floor"), "×"),
         "≤ 4×"],
        ["list page of 50 projects (GET /api/v1/instances?per_page=50)", "19.5 ms",
         _both(lines, "lists", "instances_50"), "p95 < 50 ms"],
        ["已办 tab at 100,000 projects (GET /?tab=done)", "44 ms", _both(lines, "lists", "done"), "p95 < 50 ms"],
        ["inbox page 100 (GET /?page=100)", "34.5 ms", _both(lines, "lists", "inbox_p100"), "p95 < 50 ms"],
        ["completions/s, one server process, 1–4 clients (PostgreSQL)", "35–38/s",
         f"{_fmt(w1[0], '/s')} (1 client) · {_fmt(w1[1], '/s')} (4 clients), 1 gunicorn worker", ""],
        ["completions/s, 2 workers, 4 clients (PostgreSQL)", "68/s",
         _fmt(_find(lines, "http", pg, "completions_per_s_w2_c4"), "/s"), ""],
        ["2 workers ÷ 1 worker at 4 clients (PostgreSQL)", "—",
         _fmt(_find(lines, "http", pg, "ratio_2w_over_1w_c4"), "×"), "≥ 1.8×"],
        ["two schedulers ÷ one (PostgreSQL)", "1.1×", _fmt(_find(lines, "timers", pg, "ratio_2_over_1"), "×"),
         "≥ 1.6×"],
    ]


BEFORE_AFTER = ["figure", "before (issue 16)", "after", "target"]


def _command(args: list[str]) -> str:
    try:
        return subprocess.run(args, capture_output=True, text=True, timeout=20).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine() -> dict:
    from sqlalchemy import create_engine, text

    from benchmarks.common import backend_url
    memory = _command(["free", "-h"]).splitlines()
    try:
        engine = create_engine(backend_url("postgresql"))
        with engine.connect() as conn:
            pg = conn.scalar(text("SHOW server_version"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - the report still prints without the server
        pg = f"? ({type(exc).__name__})"
    return {"cores": str(os.cpu_count()), "cpu": _cpu(), "memory": memory[1].split()[1] if len(memory) > 1 else "?",
            "python": platform.python_version(), "postgresql": pg, "os": platform.platform(),
            "load": " ".join(f"{x:.2f}" for x in os.getloadavg())}


def _cpu() -> str:
    found = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text()) \
        if Path("/proc/cpuinfo").exists() else None
    return found.group(1).strip() if found else platform.processor() or "?"


def results_section(lines: list[dict], quick: bool) -> str:
    m = machine()
    when = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    parts = [BEGIN, "", f"Run of {when} (`benchmarks/run{' --quick' if quick else ''} --write-results`)"
             + (" — quick sizes, not the figures of record" if quick else "") + ":", "",
             f"- machine: {m['cores']} cores ({m['cpu']}), {m['memory']} RAM, {m['os']}",
             f"- Python {m['python']}, PostgreSQL {m['postgresql']}; load average at the end {m['load']}", "",
             render(before_after(lines), BEFORE_AFTER, markdown=True), "",
             "Every figure of the run:", "", render(table_rows(lines), HEADER, markdown=True), "", END]
    return "\n".join(parts)


def write_results(path: Path, lines: list[dict], quick: bool) -> None:
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise SystemExit(f"{path}: the markers {BEGIN} … {END} are missing")
    head, rest = text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    path.write_text(head + results_section(lines, quick) + tail, encoding="utf-8")


def read(paths: list[str]) -> list[dict]:
    lines = []
    for name in paths:
        source = sys.stdin if name == "-" else open(name, encoding="utf-8")
        with source:
            lines += [json.loads(line) for line in source if line.strip().startswith("{")]
    for row in lines:     # completion.py's lines before it named itself
        row.setdefault("benchmark", "completion" if "floor_ms" in row else "?")
        row.setdefault("backend", "?")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="One table from the benchmarks' --json lines")
    parser.add_argument("files", nargs="*", default=["-"], help="files of JSON lines (- for stdin)")
    parser.add_argument("--write-results", type=Path, metavar="RESULTS.md", help="fill in its results section")
    parser.add_argument("--quick", action="store_true", help="the lines come from a --quick run")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args()
    lines = read(args.files)
    rows = table_rows(lines)
    print(render(rows, HEADER, args.markdown))
    missed = [r for r in rows if r[-1] == "NO"]
    print(f"\n{len(rows)} figures, {sum(r[-1] == 'yes' for r in rows)} targets met, {len(missed)} not met"
          + ("" if not missed else ": " + ", ".join(f"{r[0]}/{r[1]} {r[3]}" for r in missed)))
    if args.write_results:
        write_results(args.write_results, lines, args.quick)
        print(f"{args.write_results}: results section written")


if __name__ == "__main__":
    main()
