"""Build the report: run the analyses, draw the figures, render the template."""

from __future__ import annotations

import io
import platform
import re
import warnings
from collections.abc import Sequence
from datetime import UTC, datetime
from numbers import Integral
from typing import Any

import numpy as np
import pandas as pd

from .._validation import check_instance, check_level
from ..analytics import describe
from ..base import AttributionModel, available_models, clone_model, get_model
from ..evaluate import compare
from ..journeys import Journeys
from ._template import TABLE_MACRO, TEMPLATE

__all__ = ["DEFAULT_MODELS", "report"]

#: The models of a report unless told otherwise: the rules people know, and the two
#: data-driven models the report has sections for.
DEFAULT_MODELS = (
    "first_touch",
    "last_touch",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
)
_SECTIONS = (
    ("data", "Data summary"),
    ("models", "Models side by side"),
    ("markov", "Markov transition graph"),
    ("shapley", "Shapley credit"),
    ("costs", "Spend and return"),
    ("warnings", "Warnings"),
    ("provenance", "How this report was made"),
)
_PACKAGES = ("numpy", "pandas", "scipy", "networkx", "matplotlib", "jinja2")


def _num(v: Any, digits: int = 4) -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "" if v is None or np.isnan(v) else ("inf" if v > 0 else "-inf")
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (Integral, np.integer)):
        return f"{int(v):,}"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):,.0f}" if float(v).is_integer() else f"{float(v):,.{digits}g}"
    return str(v)


def _table(frame: pd.DataFrame, *, text_columns: int = 1, percent: Sequence[str] = ()) -> dict:
    """A frame as the template's table: formatted strings, escaped when rendered."""
    rows = []
    for record in frame.itertuples(index=False):
        rows.append(
            [
                f"{v:.1%}" if c in percent and isinstance(v, float) and np.isfinite(v) else _num(v)
                for c, v in zip(frame.columns, record, strict=True)
            ]
        )
    return {"columns": [str(c) for c in frame.columns], "rows": rows, "text_columns": text_columns}


def _svg(fig: Any) -> Any:
    """`fig` as inline SVG markup (text kept as text, ids fixed, no date), then closed."""
    import matplotlib.pyplot as plt
    from markupsafe import Markup

    buf = io.StringIO()
    with plt.rc_context({"svg.hashsalt": "attribution_lab", "svg.fonttype": "none"}):
        fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg") :]
    # the RDF block names the format by URL; nothing in it is needed to read the figure
    text = re.sub(r"<metadata>.*?</metadata>\s*", "", text, flags=re.S)
    return Markup(text)


def _models(models: Any, journeys: Journeys) -> Any:
    if models is None:
        runnable = available_models(journeys)
        return [m for m in DEFAULT_MODELS if m in runnable]
    return models


def _seed_of(random_state: Any) -> str:
    if random_state is None:
        return "None (not reproducible)"
    if isinstance(random_state, np.random.Generator):
        return "a numpy Generator passed by the caller"
    return str(random_state)


def _versions() -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    from .. import __version__

    out = [("attribution_lab", __version__), ("python", platform.python_version())]
    for name in _PACKAGES:
        try:
            out.append((name, version(name)))
        except PackageNotFoundError:  # pragma: no cover - all are dependencies
            out.append((name, "not installed"))
    out.append(("platform", platform.platform(terse=True)))
    return out


def _figure(part: Any, title: str) -> Any:
    """The analytics result's figure as SVG; a figure that fails is said, not fatal."""
    try:
        return _svg(part.plot().figure)
    except (ValueError, TypeError) as exc:
        import matplotlib.pyplot as plt

        plt.close("all")
        warnings.warn(f"figure {title!r} could not be drawn: {exc}", UserWarning, stacklevel=2)
        return None


def _data_blocks(summary: Any) -> list[dict]:
    blocks = []
    paths = summary.paths
    blocks.append(
        {
            "title": "Top paths",
            "message": paths.message,
            "table": _table(paths.table, text_columns=2) if paths.available else None,
            "figure": _figure(paths, "Top paths") if paths.available else None,
        }
    )
    for name, title in (("lengths", "Path lengths"), ("time", "Time to conversion")):
        part = getattr(summary, name)
        table = part.summary if name == "lengths" else part.table
        blocks.append(
            {
                "title": title,
                "message": part.message,
                "table": _table(table) if part.available and len(table) else None,
                "figure": _figure(part, title) if part.available else None,
            }
        )
    ch = summary.channels
    blocks.append(
        {
            "title": "Channel roles (first, middle, last touch) and conversion rates",
            "message": ch.message,
            "table": _table(ch.table) if ch.available else None,
            "figure": _figure(ch, "Channel roles") if ch.available else None,
        }
    )
    fun = summary.funnel
    if fun.available and len(fun.table):
        blocks.append(
            {
                "title": "Funnel",
                "message": fun.message,
                "table": _table(fun.table),
                "figure": _figure(fun, "Funnel"),
            }
        )
    else:
        blocks.append(
            {
                "title": "Funnel",
                "message": fun.message or "no milestones in these journeys",
                "table": None,
                "figure": None,
            }
        )
    return blocks


def _shapley_figure(rows: pd.DataFrame, level: str) -> Any:
    import matplotlib.pyplot as plt

    rows = rows.sort_values("conversions")
    fig, ax = plt.subplots(figsize=(7.5, 0.32 * len(rows) + 1.4))
    xerr = None
    if {"ci_low", "ci_high"} <= set(rows.columns) and rows["ci_low"].notna().any():
        c = rows["conversions"].to_numpy()
        xerr = np.vstack([np.maximum(c - rows["ci_low"], 0), np.maximum(rows["ci_high"] - c, 0)])
    ax.barh(
        [str(c) for c in rows["channel"]],
        rows["conversions"],
        xerr=xerr,
        color="#4c72b0",
        error_kw={"elinewidth": 1, "capsize": 2.5},
    )
    ax.axvline(0.0, color="0.3", lw=0.8)
    ax.set_xlabel(
        "credited conversions" + (f" with {level} bootstrap interval" if xerr is not None else "")
    )
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def _cost_tables(tidy: pd.DataFrame, source: str) -> dict:
    def wide(col: str) -> pd.DataFrame:
        frame = tidy.pivot(index="channel", columns="model", values=col)
        frame = frame[list(dict.fromkeys(tidy["model"]))]
        cost = tidy.drop_duplicates("channel").set_index("channel")["cost"]
        frame.insert(0, "spend", cost.reindex(frame.index))
        return frame.reset_index()

    details = []
    for name in ("markov", "shapley"):
        rows = tidy[tidy["model"] == name]
        if rows.empty:
            continue
        cols = [c for c in rows.columns if c.startswith(("cost", "roas", "roi"))]
        details.append(
            {
                "title": f"{name}: spend, return and their intervals",
                "table": _table(rows[["channel", "conversions", "value", *cols]]),
            }
        )
    return {
        "source": source,
        "roas": _table(wide("roas")),
        "cpa": _table(wide("cost_per_conversion")),
        "details": details,
    }


def _warnings(caught: list[Any]) -> list[dict]:
    seen: dict[tuple[str, str], int] = {}
    for w in caught:
        key = (w.category.__name__, " ".join(str(w.message).split()))
        seen[key] = seen.get(key, 0) + 1
    return [{"category": c, "message": m, "count": n} for (c, m), n in seen.items()]


def report(
    journeys: Journeys,
    models: Any = None,
    *,
    out: Any = None,
    costs: Any = None,
    n_boot: int | None = 30,
    ci_level: float = 0.95,
    random_state: int | np.random.Generator | None = 0,
    top: int = 10,
    markov: AttributionModel | str | None = None,
    title: str = "Attribution report",
    summary: str | None = None,
    command: str | None = None,
    timestamp: str | bool | None = None,
) -> str:
    """One self-contained HTML page about the journeys and what the models credit.

    Sections: the data (`describe`: top paths, path lengths, time to conversion,
    channel roles, the funnel when the journeys have milestones), the models side by
    side (a heatmap of shares with bootstrap intervals, and the table), the Markov
    transition graph with the removal effects, the Shapley credit with intervals, spend
    / ROAS / ROI when `costs` are given, every warning the run raised, and how the report
    was made (command, seed, versions). Figures are inline SVG; the page needs no
    network and no JavaScript.

    Parameters
    ----------
    journeys : Journeys
    models : list of names or models, mapping of labels to models, optional
        As `attribution_lab.compare` takes them. Default: `DEFAULT_MODELS` that can run
        on these journeys (those needing touch times are left out of path tables).
    out : str or path, optional
        Also write the page there (UTF-8).
    costs : DataFrame, CSV path, mapping or Series, optional
        Spend per channel (`attribution_lab.roi.read_costs`): adds the spend section.
    n_boot : int or None, default 30
        Bootstrap replicates per model for the intervals; None for no intervals. Kept
        small so that a report takes seconds: interval ends carry Monte Carlo error of
        roughly 10% of their width at 30 replicates; use 200 or more for intervals to
        quote.
    ci_level : float, default 0.95
    random_state : int, Generator or None, default 0
        Seed of every random draw (the bootstrap, and models that sample). Same seed,
        same page (apart from `timestamp`).
    top : int, default 10
        Paths listed in the data summary.
    markov : MarkovAttribution or str, optional
        The chain drawn in the Markov section. Default: the ``"markov"`` model of
        `models` when there is one, else ``MarkovAttribution()``.
    title : str, default "Attribution report"
    summary : str, optional
        One line under the title saying what the data are (the command line passes
        what it read).
    command : str, optional
        How the report was made, as shown at the end (the command line passes its own
        command); default: this function's call.
    timestamp : str, bool or None
        When the report was made: None for now (UTC), a string to show as given, False
        for none (byte-identical pages from identical inputs).

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    TypeError
        When `journeys` is not a Journeys.
    ValueError
        On an `n_boot` that is not an integer >= 2 or None, a `ci_level` outside (0, 1),
        or input the models refuse (as `compare` raises them).

    Examples
    --------
    >>> from attribution_lab import Journeys
    >>> j = Journeys.from_paths(["A > B", "B", "A"], conversions=[3, 1, 2], nulls=[2, 4, 3])
    >>> page = report(j, ["linear", "markov", "shapley"], n_boot=5, timestamp=False)
    >>> page.startswith("<!DOCTYPE html>"), "Shapley credit" in page
    (True, True)
    """
    import jinja2
    from markupsafe import Markup

    check_instance(journeys, Journeys, "journeys")
    if n_boot is not None and (
        isinstance(n_boot, bool) or not isinstance(n_boot, Integral) or n_boot < 2
    ):
        raise ValueError(f"n_boot must be an integer >= 2 or None, got {n_boot!r}")
    check_level(ci_level)
    if isinstance(top, bool) or not isinstance(top, Integral) or top < 1:
        raise ValueError(f"top must be a positive integer, got {top!r}")
    if command is None:
        command = (
            f"attribution_lab.report(journeys, models={models!r}, n_boot={n_boot!r},"
            f" ci_level={ci_level!r}, random_state={_seed_of(random_state)},"
            f" costs={'given' if costs is not None else None})"
        )
    import matplotlib

    with warnings.catch_warnings(record=True) as caught, matplotlib.rc_context():
        warnings.simplefilter("always")
        matplotlib.use("Agg")
        page = _render(
            jinja2, Markup, journeys, _models(models, journeys), costs, n_boot, ci_level,
            random_state, top, markov, title, summary, command, timestamp, caught,
        )  # fmt: skip
    if out is not None:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(page)
    return page


def _render(
    jinja2: Any, Markup: Any, journeys: Journeys, models: Any, costs: Any,
    n_boot: int | None, ci_level: float, random_state: Any, top: int, markov: Any,
    title: str, summary: str | None, command: str, timestamp: Any, caught: list[Any],
) -> str:  # fmt: skip
    from ..plot import plot_share_heatmap, plot_transition_graph

    desc = describe(journeys, top=top)
    tidy = compare(
        journeys, models, n_boot=n_boot, ci_level=ci_level, random_state=random_state,
        costs=costs, errors="skip",
    )  # fmt: skip
    level = f"{100 * ci_level:g}%"
    labels = list(dict.fromkeys(tidy["model"]))
    firsts = tidy.drop_duplicates("model")
    notes = [
        "Estimands: "
        + "; ".join(f"{m}: {e}" for m, e in zip(firsts["model"], firsts["estimand"], strict=True))
    ]
    failed = tidy.attrs.get("failed") or {}
    if failed:
        notes.append("Left out (failed): " + "; ".join(f"{k} ({v})" for k, v in failed.items()))
    heat = plot_share_heatmap(tidy, title="Share of conversions by model and channel")
    heat.figure.tight_layout()
    shares = tidy.pivot(index="channel", columns="model", values="share")[labels]
    shares = shares.loc[shares.mean(axis=1).sort_values(ascending=False).index].reset_index()

    # the Markov chain drawn: the report's own markov model when it has one
    if markov is None:
        given = models.get("markov") if isinstance(models, dict) else None
        markov = given if given is not None else "markov"
    chain = get_model(markov) if isinstance(markov, str) else clone_model(markov)
    chain.fit(journeys)
    graph_ax = plot_transition_graph(chain.graph_)
    removal = pd.DataFrame(
        {
            "channel": chain.removal_effects_.index,
            "removal effect": chain.removal_effects_.to_numpy(),
            "share": chain.removal_effects_.to_numpy() / chain.removal_effects_.sum(),
        }
    ).sort_values("removal effect", ascending=False)
    markov_note = (
        f"The absorbing Markov chain of order {chain.get_params().get('order', 1)} fitted to"
        " the journeys. A channel's removal effect is the share of conversions lost when"
        " every transition into a state containing it goes to (null); credit divides the"
        " conversions in proportion to the removal effects."
    )

    shap_rows = tidy[tidy["model"] == "shapley"]
    if shap_rows.empty:
        shap_fig = shap_table = None
        shap_note = "No Shapley model in this report (add 'shapley' to the models)."
    else:
        shap_fig = _svg(_shapley_figure(shap_rows, level))
        cols = ["channel", "conversions", "share"] + [
            c for c in ("ci_low", "ci_high", "stderr") if c in shap_rows.columns
        ]
        shap_table = _table(shap_rows[cols].sort_values("conversions", ascending=False))
        shap_note = (
            "Each channel's Shapley value of the conversion game: its average marginal"
            " contribution over every order in which the channels could join."
            + (f" Whiskers: {level} bootstrap intervals." if n_boot else "")
        )
    cost_tables = None
    if costs is not None:
        source = costs if isinstance(costs, str) else "the spend given"
        cost_tables = _cost_tables(tidy, str(source))

    if timestamp is None:
        timestamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    generated = timestamp if timestamp else None
    prov_rows = [
        ("seed", _seed_of(random_state)),
        ("bootstrap replicates", str(n_boot) if n_boot else "none"),
        ("interval level", level),
        *_versions(),
    ]
    provenance = {
        "command": command,
        "seed": _seed_of(random_state),
        "version": dict(_versions())["attribution_lab"],
        "table": {"columns": ["setting", "value"], "rows": prov_rows, "text_columns": 2},
    }
    o = desc.overview
    if summary is None:
        summary = (
            f"{_num(o['journeys'])} journeys, {_num(o['conversions'])} conversions,"
            f" {o['channels']} channels"
        )
    overview = desc.overview.rename_axis("metric").reset_index()
    overview.columns = ["metric", "value"]
    sections = [s for s in _SECTIONS if s[0] != "costs" or cost_tables is not None]
    data_blocks = _data_blocks(desc)
    heat_svg, graph_svg = _svg(heat.figure), _svg(graph_ax.figure)
    # warnings raised so far, including those of the figures; none come after
    warning_list = _warnings(caught)
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    template = env.from_string(TABLE_MACRO + TEMPLATE)
    return template.render(
        title=title, summary=summary, generated=generated, sections=sections,
        overview={**_table(overview), "text_columns": 2}, data_blocks=data_blocks,
        conversions=_num(journeys.n_conversions), n_boot=n_boot, ci_percent=level,
        model_notes=notes, heatmap=heat_svg, shares=_table(shares, percent=labels),
        markov_note=markov_note, markov_graph=graph_svg,
        removal=_table(removal, percent=["share"]), shapley_figure=shap_fig,
        shapley=shap_table, shapley_note=shap_note, costs=cost_tables,
        warnings=warning_list, provenance=provenance,
    )  # fmt: skip
