"""report.html in a real headless browser (Debian's chromium): the page's script runs, the
summary counts it shows equal results.json, failures come first, the filters work (driven by the
URL fragment), and screenshots of a passing and a failing report are kept under
reports/browser-test/ for people to look at."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.meta.suite_runner import REPO
from tests.report.conftest import ReportRun

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPO / "reports" / "browser-test"
PROBLEMS = ("failed", "error", "xpassed")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="needs headless chromium: install it with `apt-get install chromium`",
    ),
]


def chromium(tmp_path: Path, *args: str) -> str:
    """Run headless chromium with no network side-channels and a throwaway profile."""
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        *args,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def rendered(tmp_path: Path, page: Path, fragment: str = "") -> BeautifulSoup:
    """The DOM after the page's script ran (it marks <html data-ready>)."""
    dom = chromium(tmp_path, "--dump-dom", page.resolve().as_uri() + fragment)
    soup = BeautifulSoup(dom, "html.parser")
    assert soup.html is not None and soup.html.get("data-ready") == "true", dom[:2000]
    return soup


def screenshot(tmp_path: Path, page: Path, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    png = SCREENSHOTS / f"{name}.png"
    png.unlink(missing_ok=True)
    chromium(tmp_path, f"--screenshot={png}", "--window-size=1280,2000", page.resolve().as_uri())
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return png


def shown_counts(soup: BeautifulSoup, target: str, by: str) -> dict[str, Counter]:
    """label -> outcome -> count, read from the summary table `by` (area or level) of a target."""
    table = soup.find("table", attrs={"data-by": by, "data-target": target})
    assert table is not None, f"no summary by {by} for {target}"
    counts: dict[str, Counter] = {}
    for cell in table.find_all("td", attrs={"data-outcome": True}):
        counts.setdefault(cell[f"data-{by}"], Counter())[cell["data-outcome"]] = int(cell.text)
    return counts


def expected_counts(results: dict, target: str, by: str) -> dict[str, Counter]:
    mine = [c for c in results["checks"] if c["target"] == target]
    counts: dict[str, Counter] = {"*": Counter(c["outcome"] for c in mine)}
    for c in mine:
        counts.setdefault(c[by], Counter())[c["outcome"]] += 1
    for c in counts.values():
        c["total"] = sum(c.values())
    return counts


def assert_summary_matches(soup: BeautifulSoup, results: dict) -> None:
    targets = {c["target"] for c in results["checks"]}
    overall: Counter = Counter()
    for target in targets:
        for by in ("area", "level"):
            shown = shown_counts(soup, target, by)
            wanted = expected_counts(results, target, by)
            # a level without checks shows a row of zeros; every other row is a real one
            shown = {k: +v for k, v in shown.items() if k in wanted or sum(v.values())}
            assert shown == {k: +v for k, v in wanted.items()}, (target, by)
        overall.update(shown_counts(soup, target, "area")["*"])
    del overall["total"]
    assert +overall == Counter(results["summary"])


def visible_checks(soup: BeautifulSoup) -> list:
    return [el for el in soup.select(".check") if not el.has_attr("hidden")]


def assert_header(soup: BeautifulSoup, results: dict) -> None:
    meta = {dd["data-meta"]: dd.get_text(" ", strip=True) for dd in soup.select("dd[data-meta]")}
    assert meta["run id"] == results["run_id"]
    assert results["kit_version"] in meta["kit version"]
    assert meta["schema validation"] == results["schema_validation"]
    for name, version in results["spec_versions"].items():
        row = soup.find("tr", attrs={"data-target": name})
        assert row.find("td", attrs={"data-spec-version": True}).text == version


def assert_self_contained(page: Path) -> None:
    soup = BeautifulSoup(page.read_text(), "html.parser")
    assert not soup.find_all(["link", "img", "iframe", "object", "embed"])
    assert all(not s.has_attr("src") for s in soup.find_all("script"))
    assert "url(" not in "".join(s.text for s in soup.find_all("style"))


def test_failing_report_shows_the_counts_of_results_json_and_failures_first(
    failing_run: ReportRun, tmp_path: Path
) -> None:
    results = failing_run.results
    soup = rendered(tmp_path, failing_run.page)
    assert_summary_matches(soup, results)
    assert_header(soup, results)
    assert_self_contained(failing_run.page)

    order = [el["data-outcome"] for el in soup.select(".check")]
    assert len(order) == len(results["checks"])
    failing = [c for c in results["checks"] if c["outcome"] in PROBLEMS]
    assert failing, failing_run.run.explain()
    assert set(order[: len(failing)]) <= set(PROBLEMS), order
    assert not set(order[len(failing) :]) & set(PROBLEMS), order
    assert soup.select_one("#shown")["data-shown"] == str(len(results["checks"]))
    assert soup.select_one("#verdict").text.startswith("not conformant")

    # each failure carries its one-line message, spec reference and request transcript
    by_id = {(c["target"], c["id"]): c for c in failing}
    for article in soup.select("article.check")[: len(failing)]:
        check = by_id[(article["data-target"], article["data-id"])]
        assert article.select_one(".msg").text == check["message"].splitlines()[0]
        assert check["spec_ref"] in article.select_one(".spec").text
        assert article.select_one("details.transcript pre").text.strip()
    screenshot(tmp_path, failing_run.page, "failing")


def test_filters_in_the_fragment_narrow_the_page(failing_run: ReportRun, tmp_path: Path) -> None:
    results = failing_run.results
    only_failed = visible_checks(rendered(tmp_path, failing_run.page, "#outcome=failed"))
    wanted = [c for c in results["checks"] if c["outcome"] == "failed"]
    assert len(only_failed) == len(wanted)
    assert {el["data-outcome"] for el in only_failed} == {"failed"}

    soup = rendered(tmp_path, failing_run.page, "#area=service&level=MUST")
    shown = visible_checks(soup)
    wanted = [c for c in results["checks"] if c["area"] == "service" and c["level"] == "MUST"]
    assert wanted and len(shown) == len(wanted)
    assert soup.select_one("#shown")["data-shown"] == str(len(wanted))
    assert soup.select_one("section#problems").has_attr("hidden")  # every failure is deletion


def test_passing_report_shows_the_counts_of_results_json(
    passing_run: ReportRun, tmp_path: Path
) -> None:
    results = passing_run.results
    soup = rendered(tmp_path, passing_run.page)
    assert_summary_matches(soup, results)
    assert_header(soup, results)
    assert soup.select_one("#verdict").text.startswith("conformant")
    assert soup.select_one("section#problems") is None
    assert len(visible_checks(soup)) == len(results["checks"])
    screenshot(tmp_path, passing_run.page, "passing")
