"""The HTML report: structure, embedded figures, escaping, warnings, costs, reproducibility,
bad input, and (slow) a rendering in headless Chromium."""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import warnings
from html.parser import HTMLParser
from typing import ClassVar

import matplotlib

matplotlib.use("Agg")

import pytest

from attribution_lab import Journeys
from attribution_lab.cli._options import CLIError
from attribution_lab.cli.report import add_report_parser
from attribution_lab import report

MODELS = ["first_touch", "linear", "markov", "shapley"]


class Page(HTMLParser):
    """Tags, attributes and text of a page; fails on unbalanced tags."""

    VOID: ClassVar[set[str]] = {
        "meta",
        "br",
        "img",
        "link",
        "input",
        "hr",
        "path",
        "use",
        "rect",
        "circle",
    }

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.stack: list[str] = []
        self.ids: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="module")
def journeys():
    return Journeys.from_paths(
        ["search > email", "display > search", "email", "display", "search", "display > email"],
        conversions=[30, 20, 10, 5, 25, 8],
        nulls=[40, 60, 30, 90, 50, 30],
        values=[3000.0, 2100.0, 800.0, 400.0, 2600.0, 700.0],
    )


@pytest.fixture(scope="module")
def page(journeys):
    return report(journeys, MODELS, n_boot=4, timestamp=False)


def test_the_page_parses_and_has_every_section(page):
    parsed = Page(page)
    assert parsed.stack == []
    text = " ".join(parsed.text)
    for title in (
        "Data summary",
        "Top paths",
        "Path lengths",
        "Models side by side",
        "Markov transition graph",
        "Shapley credit",
        "How this report was made",
    ):
        assert title in text, title
    assert "Spend and return" not in text  # no costs, no section
    # one inline SVG per figure: paths, lengths, channel roles, heatmap, graph, shapley
    assert parsed.tags.count("svg") >= 6
    assert "script" not in parsed.tags


def test_every_figure_is_embedded(page):
    parsed = Page(page)
    for tag, key, value in parsed.attrs:
        if key in ("src", "href", "xlink:href", "data"):
            assert value.startswith("#") or value.startswith("data:"), (tag, key, value)
    assert "<img" not in page and "<link" not in page and "@import" not in page


def test_channel_names_are_escaped():
    odd = ["<b>bold</b>", "a & b", 'say "hi"', "it's"]
    j = Journeys.from_paths(
        [f"{odd[0]} | {odd[1]}", odd[2], f"{odd[3]} | {odd[1]}", odd[0]],
        conversions=[5, 3, 4, 2],
        nulls=[5, 7, 6, 8],
        sep="|",
    )
    page = report(j, ["linear", "markov", "shapley"], n_boot=3, timestamp=False)
    parsed = Page(page)
    assert "b" not in parsed.tags  # the name never became a tag
    assert "<b>bold" not in page
    text = "".join(parsed.text)
    for name in odd:
        assert name in text, name


def test_warnings_of_the_run_are_listed():
    # zero-credit channels and a spend row with no credit raise warnings the page lists
    j = Journeys.from_paths(["a > b", "b", "c"], conversions=[3, 2, 0], nulls=[1, 1, 4])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the report catches its warnings itself
        page = report(
            j, ["linear", "markov"], n_boot=3, costs={"a": 10.0, "b": 5.0}, timestamp=False
        )
    text = " ".join(Page(page).text)
    assert re.search(r"Warnings \((\d+)\)", text).group(1) != "0"
    assert "no spend" in text  # roi's warning for channel c


def test_costs_section_only_with_costs(journeys, page):
    assert "Spend and return" not in page
    costed = report(
        journeys,
        MODELS,
        n_boot=4,
        costs={"search": 1000.0, "email": 200.0, "display": 1500.0},
        timestamp=False,
    )
    text = " ".join(Page(costed).text)
    assert "Spend and return" in text and "ROAS by model" in text
    assert "markov: spend, return and their intervals" in text


def test_same_seed_same_bytes(journeys, page):
    again = report(journeys, MODELS, n_boot=4, timestamp=False)
    assert again == page
    other = report(journeys, MODELS, n_boot=4, timestamp=False, random_state=1)
    assert other != page
    # with the default timestamp, only the <time> element differs
    a = report(journeys, MODELS, n_boot=4)
    b = report(journeys, MODELS, n_boot=4)
    strip = re.compile(r"<time>[^<]*</time>")
    assert len(strip.findall(a)) == 1
    assert strip.sub("", a) == strip.sub("", b)


def test_provenance_names_seed_and_versions(journeys, page):
    import numpy as np

    text = " ".join(Page(page).text)
    assert "random_state=0" in text and f"numpy {np.__version__}".split()[1] in text
    assert "attribution_lab" in text and "jinja2" in text


def test_funnel_section_when_milestones_exist():
    from attribution_lab.simulate import simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        j = simulate("b2b", 400, random_state=0).journeys
    if not j.milestones:  # pragma: no cover - the B2B world has milestones
        pytest.skip("no milestones")
    page = report(j, ["linear", "markov"], n_boot=None, timestamp=False)
    parsed = Page(page)
    assert "Funnel" in " ".join(parsed.text)
    assert "no milestones" not in page


def test_bad_input_is_one_clear_error(journeys):
    with pytest.raises(TypeError, match="journeys"):
        report([1, 2], MODELS)
    with pytest.raises(ValueError, match="n_boot"):
        report(journeys, MODELS, n_boot=1)
    with pytest.raises(ValueError, match="top"):
        report(journeys, MODELS, top=0)
    with pytest.raises(ValueError, match="level"):
        report(journeys, MODELS, ci_level=1.5)
    with pytest.raises(ValueError, match="unknown"):
        report(journeys, ["no_such_model"])


# ----------------------------------------------------------------------- command line
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="attribution-lab")
    add_report_parser(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(argv: list[str]) -> tuple[int, str]:
    """The report command as `attribution_lab.cli.main` runs it: status and stderr line."""
    args = _parser().parse_args(argv)
    try:
        args.func(args)
    except (CLIError, ValueError, TypeError, OSError) as exc:
        return 2, str(exc)
    return 0, ""


def _path_table(tmp_path):
    csv = tmp_path / "paths.csv"
    csv.write_text(
        "path,total_conversions,total_null,total_conversion_value\n"
        "search > email,30,40,3000\ndisplay > search,20,60,2100\nemail,10,30,800\n"
        "display,5,90,400\n"
    )
    return csv


def test_command_writes_the_report(tmp_path, capsys):
    csv = _path_table(tmp_path)
    costs = tmp_path / "costs.csv"
    costs.write_text("channel,cost\nsearch,1000\ndisplay,1500\nemail,200\n")
    out = tmp_path / "r.html"
    argv = ["report", str(csv), "--out", str(out), "--models", "linear,markov,shapley",
            "--n-boot", "3", "--seed", "5", "--costs", str(costs),
            "--param", "markov.order=2"]  # fmt: skip
    assert _run(argv) == (0, "")
    assert "Report written to" in capsys.readouterr().out
    text = " ".join(Page(out.read_text(encoding="utf-8")).text)
    assert "Spend and return" in text
    assert "--seed 5" in text and "--param markov.order=2" in text
    assert "order 2" in text


def test_command_refuses_bad_input_with_one_line(tmp_path):
    csv = _path_table(tmp_path)
    out = str(tmp_path / "r.html")
    cases = {
        "no such file": ["report", str(tmp_path / "nope.csv"), "--out", out],
        "--n-boot": ["report", str(csv), "--out", out, "--n-boot", "1"],
        "--costs": ["report", str(csv), "--out", out, "--costs", "missing.csv"],
        "--out": ["report", str(csv), "--out", str(tmp_path / "no" / "r.html")],
        "--format": ["report", str(csv), "--out", out, "--format", "json"],
        "--param": ["report", str(csv), "--out", out, "--param", "order=2"],
        "unknown model": ["report", str(csv), "--out", out, "--models", "bogus"],
    }
    for needle, argv in cases.items():
        status, message = _run(argv)
        assert status == 2, needle
        assert "\n" not in message and needle.split()[-1] in message, (needle, message)


def test_main_exits_2_on_bad_input(tmp_path, capsys, monkeypatch):
    import attribution_lab.cli as cli

    if "add_report_parser" not in {f.__name__ for f in cli._COMMANDS}:
        monkeypatch.setattr(cli, "_COMMANDS", (*cli._COMMANDS, add_report_parser))
    status = cli.main(["report", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "r.html")])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "no such file" in err[0]


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not on PATH")
def test_headless_chromium_renders_the_report(tmp_path):
    out = tmp_path / "r.html"
    status, _ = _run(["report", "example", "--out", str(out), "--n-boot", "5"])
    assert status == 0
    png = tmp_path / "r.png"
    subprocess.run(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--screenshot={png}", "--window-size=1280,4000", out.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    assert png.stat().st_size > 50_000
