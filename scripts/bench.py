"""`make bench`: the site's build, test and page-weight figures from one run.

A benchmark, not a test: it prints figures and whether each meets its target
(see docs/maintainers/benchmarks.md), and exits 0 unless a step itself fails.
Targets are judged on wall time; CPU time (this process's children) is
printed beside it because on a shared machine it varies less with load.

    python scripts/bench.py [--no-doc-suite] [--markdown] [--stages]

Figures:
* the doc-test suite's wall time (`pytest --doc-blocks docs README.md -n 2`,
  the two processes `make test-docs` uses) and its ratio to a bare
  `python -c "import tensorflow"` (median of three);
* the `mkdocs build --strict` time and its ratio to the same build with the
  API pages left out (a temporary config that inherits mkdocs.yml, excludes
  docs/reference/ and drops mkdocstrings); best of two each;
* the bytes a first visit of each page transfers in Chromium (page and
  assets; the search index is fetched only when search is used, and is
  reported on its own), compressed as GitHub Pages serves text (gzip) and
  raw, and the heaviest, against the budget (any page);
* Lighthouse 12.2.3 (npm, pinned in package.json; `make bench` installs it)
  on every page, mobile profile, Debian's Chromium, the site served as
  GitHub Pages serves it (gzip) in the layout `mike` publishes (so the
  version selector finds versions.json): performance, accessibility, best
  practices and SEO scores against their targets, each page run three times
  and the median run reported, as Lighthouse's computeMedianRun picks it
  (--lighthouse-runs N to change, --no-lighthouse to skip);
* with --stages, `make test` from a fresh clone of HEAD, stage by stage (the
  stages are read from the Makefile's `test:` line, after `make install`),
  each against its target with the CPU seconds it used (CPU over the cores is
  the least wall time it could take here), and the total against
  TARGET_MAKE_TEST_SECONDS.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

from docs_tooling.browser import harness
from docs_tooling.paths import ROOT

TARGET_DOC_RATIO = 6.0
# `make test` from a fresh clone, install included (issue #14), and the stages
# that have a target of their own. test-standalone is judged against test-docs.
TARGET_MAKE_TEST_SECONDS = 6 * 60
TARGET_STAGE_SECONDS = {"install": 30, "test-unit": 30, "test-browser": 45}
TARGET_STANDALONE_RATIO = 2.0
TARGET_BUILD_RATIO = 1.5
# Lighthouse's four categories, mobile profile (issue #18), each score 0-100.
LIGHTHOUSE_TARGETS = {"performance": 90, "accessibility": 100, "best-practices": 100, "seo": 100}
LIGHTHOUSE_CLI = ROOT / "node_modules" / "lighthouse" / "cli" / "index.js"
# Lighthouse's variability guide (docs/variability.md in its repository) asks
# for several runs and the median one; a run takes about 15 s here.
LIGHTHOUSE_RUNS = 3
# Processes sharing the doc blocks, as `make test-docs` runs them (DOC_JOBS).
DOC_JOBS = 2
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "NO_MKDOCS_2_WARNING": "1", "PYTHONHASHSEED": "0"}


class _AnyTagLoader(yaml.SafeLoader):
    pass


_AnyTagLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def busy_cpu() -> float:
    """CPU seconds the whole machine has spent busy since boot (every core,
    every process), from /proc/stat; where there is no /proc/stat, the CPU
    seconds of this process's waited-for children (children_cpu).

    The stages need the machine's count: Chromium's processes are not all
    waited for by the processes that start them, so the browser stage's
    children's CPU leaves browser work out (178 s counted for a stage of 500 s
    wall, against about 770 s of the machine's busy time).
    """
    try:
        fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return children_cpu()
    # user, nice, system, idle, iowait, irq, softirq, steal, ...: the work done
    # here, not idle or waiting time, nor steal (another guest's on our cores)
    busy = sum(int(fields[i]) for i in (0, 1, 2, 5, 6))
    return busy / os.sysconf("SC_CLK_TCK")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity), not every core the
    machine has: the floor of a stage is its CPU over these."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess]:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, env=ENV, capture_output=True, text=True)
    return time.perf_counter() - start, result


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}; {platform.system()} {platform.release()}; "
        f"Python {platform.python_version()}; load average at start {load}"
    )


def bare_tensorflow_import() -> tuple[float, float]:
    """Median wall and CPU seconds of three bare TensorFlow imports."""
    times, cpus = [], []
    for _ in range(3):
        cpu = children_cpu()
        seconds, result = timed([sys.executable, "-c", "import tensorflow"])
        cpus.append(children_cpu() - cpu)
        if result.returncode != 0:
            raise SystemExit(f"`import tensorflow` failed:\n{result.stderr}")
        times.append(seconds)
    return statistics.median(times), statistics.median(cpus)


def doc_suite() -> tuple[float, float, str]:
    cpu = children_cpu()
    seconds, result = timed(
        [
            sys.executable,
            "-m",
            "pytest",
            "--doc-blocks",
            "docs",
            "README.md",
            "-n",
            str(DOC_JOBS),
            "-q",
            "-p",
            "no:warnings",
            "-p",
            "no:cacheprovider",
        ]
    )
    cpu = children_cpu() - cpu
    summary = (result.stdout.strip().splitlines() or ["no output"])[-1]
    if result.returncode != 0:
        summary += " (THE SUITE FAILED)"
    return seconds, cpu, summary


def no_api_config(directory: Path) -> Path:
    """A config that inherits mkdocs.yml minus the API pages and mkdocstrings."""
    with open(ROOT / "mkdocs.yml", encoding="utf-8") as f:
        base = yaml.load(f, Loader=_AnyTagLoader)

    def without_reference(items):
        kept = []
        for item in items:
            value = next(iter(item.values())) if isinstance(item, dict) else item
            if isinstance(value, list):
                value = without_reference(value)
                if value:
                    kept.append({next(iter(item)): value})
            elif not (isinstance(value, str) and value.startswith("reference/")):
                kept.append(item)
        return kept

    plugins = [
        p
        for p in base.get("plugins", [])
        if (p if isinstance(p, str) else next(iter(p))) not in ("mkdocstrings", "autorefs")
    ]
    config = {
        "INHERIT": str(ROOT / "mkdocs.yml"),
        # Paths in a config are relative to its own file; this one lives elsewhere.
        "docs_dir": str(ROOT / "docs"),
        "hooks": [str(ROOT / h) for h in base.get("hooks", [])],
        "watch": [str(ROOT / w) for w in base.get("watch", [])],
        # Merged into the inherited theme: only the override folder's path changes.
        "theme": {"custom_dir": str(ROOT / base["theme"]["custom_dir"])}
        if "custom_dir" in base["theme"]
        else {},
        "exclude_docs": (base.get("exclude_docs") or "") + "\nreference/\n",
        "nav": without_reference(base["nav"]),
        "plugins": plugins,
        # Pages still link to the left-out reference pages.
        "validation": {"links": {"not_found": "info", "anchors": "info"}},
    }
    path = directory / "mkdocs-no-api.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def build_time(site_dir: Path, config: Path | None, repeats: int = 2) -> tuple[float, float]:
    """Best wall and best CPU seconds of `repeats` builds."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeats):
        cpu = children_cpu()
        start = time.perf_counter()
        harness.build_site(site_dir, config=config)
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, children_cpu() - cpu)
    return best, best_cpu


def page_weights(site_dir: Path) -> dict[str, harness.PageVisit]:
    from playwright.sync_api import sync_playwright

    with harness.SiteServer(site_dir) as server, sync_playwright() as playwright:
        browser = harness.launch_chromium(playwright)
        try:
            return harness.visit_all(browser, server, harness.page_paths(site_dir), check_copy=False)
        finally:
            browser.close()


def lighthouse(site_dir: Path, runs: int) -> dict[str, dict]:
    """Lighthouse's four scores for every page, one run at a time (a run
    measures timings, so runs do not share the CPU with each other).

    One page's performance score moves by ten points or more between runs on
    an idle machine, so each page is run `runs` times and the run reported is
    the one Lighthouse's own computeMedianRun picks (first contentful paint
    and time to interactive nearest their medians); every run's performance
    score is kept beside it, so the spread is in the figures too.
    """
    if not LIGHTHOUSE_CLI.is_file():
        raise SystemExit(
            f"{LIGHTHOUSE_CLI.relative_to(ROOT)} is missing: `make bench` installs Lighthouse "
            "from package.json (npm ci); or pass --no-lighthouse"
        )
    env = {**ENV, "CHROME_PATH": harness.require_chromium()}
    flags = " ".join(["--headless=new", *[a for a in harness.CHROMIUM_ARGS if a != "--headless"]])
    scores = {}
    with harness.SiteServer(site_dir) as server, tempfile.TemporaryDirectory(prefix="kcg-lh-") as tmp:
        for path in harness.page_paths(site_dir):
            reports = [Path(tmp) / f"report-{run}.json" for run in range(runs)]
            for report in reports:
                result = subprocess.run(
                    [
                        "node",
                        str(LIGHTHOUSE_CLI),
                        server.base + path,
                        "--quiet",
                        "--output=json",
                        f"--output-path={report}",
                        f"--only-categories={','.join(LIGHTHOUSE_TARGETS)}",
                        f"--chrome-flags={flags}",
                    ],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                )
                if result.returncode != 0:
                    raise RuntimeError(f"Lighthouse failed on {path or '(home)'}:\n{result.stderr[-2000:]}")
            results = [json.loads(report.read_text(encoding="utf-8")) for report in reports]
            data = results[median_run(reports)]
            every_run = [round(100 * (r["categories"]["performance"]["score"] or 0)) for r in results]
            page = {name: round(100 * (c["score"] or 0)) for name, c in data["categories"].items()}
            failing = [
                audit_id
                for category in data["categories"].values()
                if category["id"] != "performance"
                for ref in category["auditRefs"]
                if ref["weight"] > 0
                and (audit_id := ref["id"])
                and data["audits"][audit_id]["score"] is not None
                and data["audits"][audit_id]["score"] < 1
            ]
            scores[path] = {**page, "performance, every run": every_run}
            line = "  ".join(f"{page[name]:>3}" for name in LIGHTHOUSE_TARGETS)
            print(
                f"  {line}  {path or '(home)'}  (performance, every run: {', '.join(map(str, every_run))})"
                + (f"  (failing: {', '.join(failing)})" if failing else ""),
                flush=True,
            )
    return scores


# Lighthouse's own choice of the representative run, so the bench does not
# invent one: node_modules/lighthouse/core/lib/median-run.js.
MEDIAN_RUN_SCRIPT = """
import {readFileSync} from 'node:fs';
import {computeMedianRun} from 'lighthouse/core/lib/median-run.js';
const runs = process.argv.slice(1).map((path) => JSON.parse(readFileSync(path, 'utf8')));
console.log(runs.indexOf(computeMedianRun(runs)));
"""


def median_run(reports: list[Path]) -> int:
    """The index in `reports` of the run Lighthouse's computeMedianRun picks."""
    if len(reports) == 1:
        return 0
    result = subprocess.run(
        ["node", "--input-type=module", "-e", MEDIAN_RUN_SCRIPT, *map(str, reports)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise RuntimeError(f"Lighthouse's computeMedianRun failed:\n{result.stderr[-2000:]}")
    return int(result.stdout.strip())


def make_test_stages() -> list[str]:
    """The prerequisites of `test:` in the Makefile, in the order make runs them."""
    for line in (ROOT / "Makefile").read_text(encoding="utf-8").splitlines():
        if line.startswith("test:"):
            return line.split(":", 1)[1].split()
    raise RuntimeError("the Makefile has no `test:` target")


def stage_times() -> list[tuple[str, float, float]]:
    """`make install` then each stage of `make test`, in a fresh clone of HEAD:
    each stage's wall seconds and the CPU seconds the machine was busy during
    it (the processes it ran where /proc/stat is missing), which counts other
    work on the machine too: the bench is meant to run alone.

    CPU divided by the cores is the least wall time the stage could take here
    if it kept every core busy: the floor no scheduling can get under.
    """
    times = []
    with tempfile.TemporaryDirectory(prefix="kcg-bench-clone-") as clone:
        subprocess.run(["git", "clone", "--quiet", str(ROOT), clone], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIRTUAL_ENV")}
        for stage in ["install", *make_test_stages()]:
            busy = busy_cpu()
            start = time.perf_counter()
            result = subprocess.run(["make", stage], cwd=clone, env=env, capture_output=True, text=True)
            elapsed = time.perf_counter() - start
            used = busy_cpu() - busy
            if result.returncode != 0:
                tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
                raise RuntimeError(f"make {stage} failed in the fresh clone:\n{tail}")
            print(f"  make {stage}: {elapsed:.0f} s (CPU {used:.0f} s)", flush=True)
            times.append((stage, elapsed, used))
    return times


def stage_rows(times: list[tuple[str, float, float]]) -> list[tuple[str, str, str, str, str]]:
    seconds = {stage: elapsed for stage, elapsed, _ in times}
    total = sum(seconds.values())
    total_cpu = sum(used for _, _, used in times)
    cores = usable_cores()
    rows = [
        (
            "`make test` from a fresh clone, install included",
            f"{total:.0f} s",
            f"the sum of the stages below; CPU {total_cpu:.0f} s, so at least "
            f"{total_cpu / cores:.0f} s on {cores} cores",
            f"<= {TARGET_MAKE_TEST_SECONDS} s",
            verdict(total <= TARGET_MAKE_TEST_SECONDS),
        )
    ]
    for stage, elapsed, used in times:
        target, ok = "", None
        compared = f"CPU {used:.0f} s"
        if stage in TARGET_STAGE_SECONDS:
            target, ok = f"<= {TARGET_STAGE_SECONDS[stage]} s", elapsed <= TARGET_STAGE_SECONDS[stage]
        elif stage == "test-standalone" and "test-docs" in seconds:
            ratio = elapsed / seconds["test-docs"]
            compared += f"; {ratio:.1f}x `make test-docs`"
            target, ok = f"<= {TARGET_STANDALONE_RATIO:g}x", ratio <= TARGET_STANDALONE_RATIO
        rows.append(
            (f"`make {stage}`", f"{elapsed:.0f} s", compared, target, "" if ok is None else verdict(ok))
        )
    return rows


def verdict(ok: bool) -> str:
    return "meets target" if ok else "MISSES TARGET"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-doc-suite", action="store_true", help="skip the doc-test suite")
    parser.add_argument(
        "--markdown", action="store_true", help="also print the figures as Markdown for the benchmarks page"
    )
    parser.add_argument("--no-lighthouse", action="store_true", help="skip the Lighthouse scores")
    parser.add_argument(
        "--lighthouse-runs",
        type=int,
        default=LIGHTHOUSE_RUNS,
        help=f"Lighthouse runs per page; the median run is reported (default {LIGHTHOUSE_RUNS})",
    )
    parser.add_argument(
        "--stages", action="store_true", help="also time every stage of `make test` in a fresh clone of HEAD"
    )
    args = parser.parse_args()
    if args.lighthouse_runs < 1:
        parser.error(f"--lighthouse-runs must be 1 or more, not {args.lighthouse_runs}")
    harness.require_chromium()

    print(f"machine: {machine()}")
    rows = []
    if args.stages:
        print("make test from a fresh clone of HEAD, stage by stage:")
        rows += stage_rows(stage_times())
        for row in rows:
            print(f"  {row[0]}: {row[1]} {row[2]} {row[3]} {row[4]}".rstrip())

    imported, imported_cpu = bare_tensorflow_import()
    print(f"bare `import tensorflow` (median of 3): {imported:.1f} s (CPU {imported_cpu:.1f} s)")
    if not args.no_doc_suite:
        suite, suite_cpu, summary = doc_suite()
        ratio = suite / imported
        print(
            f"doc-test suite: {suite:.1f} s (CPU {suite_cpu:.1f} s; {summary}); ratio {ratio:.1f}x, "
            f"CPU ratio {suite_cpu / imported_cpu:.1f}x "
            f"(target <= {TARGET_DOC_RATIO:g}x: {verdict(ratio <= TARGET_DOC_RATIO)})"
        )
        rows.append(
            (
                f"Doc-test suite (`pytest --doc-blocks docs README.md -n {DOC_JOBS}`)",
                f"{suite:.1f} s",
                f"{ratio:.1f}x bare `import tensorflow` ({imported:.1f} s)",
                f"<= {TARGET_DOC_RATIO:g}x",
                verdict(ratio <= TARGET_DOC_RATIO),
            )
        )

    with tempfile.TemporaryDirectory(prefix="kcg-bench-") as tmp:
        tmp = Path(tmp)
        full_site = tmp / "site"
        full, full_cpu = build_time(full_site, None)
        bare, bare_cpu = build_time(tmp / "site-no-api", no_api_config(tmp))
        ratio = full / bare
        print(
            f"mkdocs build --strict (best of 2): {full:.2f} s (CPU {full_cpu:.2f} s); without "
            f"the API pages {bare:.2f} s (CPU {bare_cpu:.2f} s); ratio {ratio:.2f}x, "
            f"CPU ratio {full_cpu / bare_cpu:.2f}x "
            f"(target <= {TARGET_BUILD_RATIO:g}x: {verdict(ratio <= TARGET_BUILD_RATIO)})"
        )
        print("the build imports no TensorFlow (src/docs_tooling/hooks/build.py fails the build if it does)")
        rows.append(
            (
                "`mkdocs build --strict`",
                f"{full:.2f} s",
                f"{ratio:.2f}x the build without API pages ({bare:.2f} s)",
                f"<= {TARGET_BUILD_RATIO:g}x",
                verdict(ratio <= TARGET_BUILD_RATIO),
            )
        )

        every_page = page_weights(full_site)
        budget = harness.FIRST_VISIT_BUDGET_BYTES
        print(
            "first visit of each page (bytes transferred, text gzip-compressed as GitHub Pages "
            "serves it; raw before compression):"
        )
        print(f"  {'compressed':>10}  {'raw':>9}  page")
        for path, visit in sorted(every_page.items(), key=lambda kv: -kv[1].transferred_bytes):
            print(f"  {visit.transferred_bytes:>10,}  {visit.raw_bytes:>9,}  {path or '(home)'}")
        largest = max(every_page.values(), key=lambda v: v.transferred_bytes)
        ok = largest.transferred_bytes <= budget
        print(
            f"heaviest: {largest.path or '(home)'} {largest.transferred_bytes:,} bytes compressed "
            f"({largest.raw_bytes:,} raw) (budget <= {budget:,} compressed: {verdict(ok)})"
        )
        print("  of which (compressed, raw):")
        for request in sorted(largest.requests, key=lambda r: -r.body_bytes):
            print(
                f"  {request.body_bytes:>10,}  {request.raw_bytes:>9,}  {request.url.split('/dev/', 1)[-1]}"
            )
        index = (full_site / harness.SEARCH_INDEX).read_bytes()
        index_gzip = len(gzip.compress(index, compresslevel=harness.GZIP_LEVEL))
        print(
            f"search index, fetched when a reader first reaches for search: {index_gzip:,} bytes "
            f"compressed ({len(index):,} raw)"
        )
        rows.append(
            (
                "Search index, fetched when search is first used (compressed)",
                f"{index_gzip / 1000:.0f} KB ({len(index) / 1000:.0f} KB raw)",
                "not part of a first visit",
                "",
                "",
            )
        )
        rows.append(
            (
                "Heaviest first visit of any page (compressed)",
                f"{largest.transferred_bytes / 1000:.0f} KB ({largest.raw_bytes / 1000:.0f} KB raw)",
                f"`{largest.path or '(home)'}`",
                f"<= {budget // 1000} KB",
                verdict(ok),
            )
        )

        lighthouse_scores = {}
        if not args.no_lighthouse:
            print(
                "Lighthouse 12, mobile profile, served gzip-compressed as GitHub Pages does, "
                f"{args.lighthouse_runs} runs a page, the median run (computeMedianRun) reported; "
                + ", ".join(f"{name} (target >= {target})" for name, target in LIGHTHOUSE_TARGETS.items())
                + ":"
            )
            print("  " + "  ".join(f"{name[:3]:>3}" for name in LIGHTHOUSE_TARGETS) + "  page")
            lighthouse_scores = lighthouse(full_site, args.lighthouse_runs)
            for name, target in LIGHTHOUSE_TARGETS.items():
                lowest = min(lighthouse_scores.items(), key=lambda kv: kv[1][name])
                ok = lowest[1][name] >= target
                print(f"  lowest {name}: {lowest[1][name]} on {lowest[0] or '(home)'} ({verdict(ok)})")
                rows.append(
                    (
                        f"Lighthouse {name}, lowest page (mobile)",
                        str(lowest[1][name]),
                        f"`{lowest[0] or '(home)'}`",
                        f">= {target}",
                        verdict(ok),
                    )
                )

    if args.markdown:
        print("\n| Figure | Measured | Compared with | Target | Result |")
        print("| --- | --- | --- | --- | --- |")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        print("\n| Page | First visit, compressed (bytes) | Raw (bytes) |\n| --- | ---: | ---: |")
        for path, visit in sorted(every_page.items()):
            print(f"| `{path or '(home)'}` | {visit.transferred_bytes:,} | {visit.raw_bytes:,} |")
        if lighthouse_scores:
            names = list(LIGHTHOUSE_TARGETS)
            print(
                "\n| Page | "
                + " | ".join(names)
                + " | performance, every run |\n| --- |"
                + " ---: |" * len(names)
                + " --- |"
            )
            for path, page in sorted(lighthouse_scores.items()):
                every_run = ", ".join(map(str, page["performance, every run"]))
                figures = " | ".join(str(page[n]) for n in names)
                print(f"| `{path or '(home)'}` | {figures} | {every_run} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
