"""The pure parts of bench/: medians, ratios, verdicts, formatting. No timing is asserted here."""

from bench.report import markdown, table, value
from bench.stats import Row, Target, duration, fmt, ratio, ratios, verdict


def test_verdict_met_at_and_under_the_target():
    assert verdict(3.0, Target(3)) == "met"
    assert verdict(2.0, Target(3)) == "met"


def test_verdict_says_by_how_much_a_target_is_missed():
    assert verdict(570, Target(240), "s") == "missed by 330 s (138%)"
    assert verdict(1.39, Target(1.0), "×") == "missed by 0.39 (39%)"


def test_verdict_for_a_saving_that_should_be_at_least_something():
    assert verdict(20, Target(10, at_least=True), "MB") == "met"
    assert verdict(5, Target(10, at_least=True), "MB") == "missed by 5.00 MB (50%)"


def test_verdict_without_target_or_value():
    assert verdict(1.0, None) == "no target"
    assert verdict(None, Target(1)) == "not measured"


def test_ratio_is_of_medians_and_ratios_are_pairwise():
    assert ratio([1, 2, 30], [2, 4, 4]) == 0.5
    assert ratios([1, 2], [2, 4]) == [0.5, 0.5]
    assert ratio([], [1]) is None
    assert ratio([1], [0]) is None


def test_row_median_spread_and_explicit_value():
    row = Row("cli", "list", "×", [0.5, 0.2, 0.9])
    assert (row.median, row.spread, row.n) == (0.5, (0.2, 0.9), 3)
    assert Row("cli", "list", "×", [0.5, 0.2, 0.9], value=0.4).median == 0.4
    assert Row("disk", "slim", "MB").verdict == "not measured"


def test_numbers_and_durations_read_well():
    assert [fmt(0.0012), fmt(2.345), fmt(12.34), fmt(123.4), fmt(0)] == ["0.0012", "2.35", "12.3", "123", "0"]
    assert duration(570) == "9 min 30 s"
    assert duration(2.5) == "2.50 s"
    assert value(0.8, "×") == "0.80×" and value(None, "s") == "–"


def test_table_has_one_line_per_row_and_escapes_pipes():
    rows = [Row("cli", "a | b", "s", [1.0, 2.0, 3.0], Target(2.5), note="x\ny")]
    lines = table(rows)
    assert len(lines) == 3
    assert "a \\| b" in lines[2] and "x y" in lines[2]
    assert "| ≤ 2.50 s | 2.00 s | 3 | 1.00 s – 3.00 s | met |" in lines[2]


def test_page_names_the_machine_and_says_when_partial():
    page = markdown([Row("kit", "re-run", "s", [0.2], Target(3))], {"CPU": "Example, 2 cores"}, {"BENCH_RUNS": "5"},
                    partial="quick pass")
    assert "| CPU | Example, 2 cores |" in page
    assert "**Partial run:** quick pass" in page
    assert "## Offline image kit alone" in page and "## Full course suite" not in page


def test_a_partial_run_keeps_the_other_groups_rows(tmp_path):
    from bench import report
    from bench.stats import Row, Target

    old = [Row("suite", "`make test`, warm engine", "s", [600.0, 610.0], Target(240), note="old run"),
           Row("cli", "run + remove", "×", [1.0], None, note="cli")]
    raw = tmp_path / "benchmarks.json"
    report.write(old, {"date": "2026-11-28 04:28 UTC"}, {}, tmp_path / "benchmarks.md", raw)
    kept, when = report.earlier(raw, {"suite"})
    assert when == "2026-11-28 04:28 UTC"
    assert [(r.group, r.what, r.samples, r.median) for r in kept] == [("suite", "`make test`, warm engine", [600.0, 610.0], 605.0)]
    assert kept[0].target.limit == 240 and kept[0].verdict.startswith("missed")
    assert report.earlier(tmp_path / "missing.json", {"suite"}) == ([], "")
