"""The indicator chart: every quarter's value against its target, drawn server-side as SVG.

Matplotlib's object-oriented Figure API (no pyplot) is thread-safe under gunicorn
and needs no display; the SVG is served from its own URL and shown in an <img>,
so the page's CSP stays strict and nothing comes from a CDN.
"""

import functools
import io
import math
from collections.abc import Callable, Collection

import matplotlib
from matplotlib.figure import Figure

from app.kpis.scoring import Assessment, Polarity, Target, Unit
from app.strategy.quarters import Quarter

VALUE_COLOUR = "#1d70b8"  # GOV.UK blue
TARGET_COLOUR = "#0b0c0c"  # GOV.UK black, dashed
BAND_COLOUR = "#cce2d8"  # GOV.UK light green


def format_value(value: float | None, unit: Unit | str) -> str:
    """A value as people read it: "12", "84.2%", "3.4 per 1,000", "£1,200"; "No value" for None."""
    if value is None:
        return "No value"
    unit = Unit(unit)
    if unit is Unit.COUNT:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    if unit is Unit.PERCENTAGE:
        return f"{value:.1f}%"
    if unit is Unit.RATE_PER_1000:
        return f"{value:.1f} per 1,000"
    return f"£{value:,.0f}"


NO_TARGET = "No target agreed"


def band_wording(lower: float | None, upper: float | None, show: Callable[[float], str]) -> str:
    """A band as people read it, each bound written by `show`: "28.0% to 40.0%", "no minimum to 5"."""
    low = show(lower) if lower is not None else "no minimum"
    high = show(upper) if upper is not None else "no maximum"
    return f"{low} to {high}"


def band_text(lower: float | None, upper: float | None, unit: Unit | str) -> str:
    """A band in the indicator's unit, as band_wording writes it ("28.0% to 40.0%")."""
    return band_wording(lower, upper, lambda bound: format_value(bound, unit))


def target_wording(target: Target | None, unit: Unit | str) -> str:
    """A target as people read it: "77.0%", "28.0% to 40.0%", "no minimum to 5"; "No target agreed"."""
    if target is None:
        return NO_TARGET
    if target.value is not None:
        return format_value(target.value, unit)
    return band_text(target.lower, target.upper, unit)


def _label(a: Assessment) -> str:
    return Quarter(a.year, a.quarter).label


def describe(name: str, unit: Unit | str, polarity: Polarity | str, assessed: list[Assessment],
             suppressed: Collection[Quarter] = ()) -> str:
    """The chart's text alternative: what is plotted, the latest figure against target and the trend.

    `suppressed` are the quarters whose values are withheld to protect victims (a published chart draws
    them as gaps): the text says so, rather than that nothing was entered.
    """
    if not assessed:
        return f"Chart of {name}: no quarters to show."
    hidden = [a for a in assessed if Quarter(a.year, a.quarter) in set(suppressed)]
    with_values = [a for a in assessed if a.value is not None]
    span = f"{_label(assessed[0])} to {_label(assessed[-1])}"
    withheld = ""
    if hidden:
        withheld = (f" {len(hidden)} quarter{'s are' if len(hidden) != 1 else ' is'} suppressed to protect victims"
                    f" (small numbers), so not plotted: {', '.join(_label(a) for a in hidden)}.")
    if not with_values:
        if hidden:
            return f"Chart of {name} by quarter, {span}: no values are shown.{withheld}"
        return f"Chart of {name} by quarter, {span}: no values have been entered yet."
    latest = with_values[-1]
    parts = [
        f"Chart of {name} by quarter, {span}, with {len(with_values)} of {len(assessed)} quarters shown.{withheld}"
    ]
    target_text = ""
    if latest.target is not None and latest.target.value is not None:
        target_text = f" against a target of {format_value(latest.target.value, unit)}"
    elif latest.target is not None and latest.target.has_band:
        target_text = f" against a band of {band_text(latest.target.lower, latest.target.upper, unit)}"
    parts.append(
        f"Latest: {format_value(latest.value, unit)} in {_label(latest)}{target_text}"
        f" (rating: {latest.rag.label})."
    )
    first = with_values[0]
    if len(with_values) > 1:
        change = (
            "rose"
            if latest.value > first.value
            else "fell"
            if latest.value < first.value
            else "was unchanged"
        )
        parts.append(f"Since {_label(first)} ({format_value(first.value, unit)}) the value {change}.")
    parts.append(f"Compared with the same quarter last year: {latest.long_term.description}.")
    if Polarity(polarity) is Polarity.CONTEXTUAL:
        parts.append("This indicator is monitored, not rated.")
    return " ".join(parts)


def chart_svg(name: str, unit: Unit | str, assessed: list[Assessment]) -> bytes:
    """An SVG line chart: values (gaps where none was entered), target as a dashed step line, band shaded."""
    unit = Unit(unit)
    fig = Figure(figsize=(8, 3.6), dpi=100)
    fig.set_layout_engine("constrained")
    ax = fig.add_subplot()
    xs = list(range(len(assessed)))
    values = [a.value if a.value is not None else math.nan for a in assessed]
    targets = [
        a.target.value if a.target is not None and a.target.value is not None else math.nan for a in assessed
    ]
    lowers = [
        a.target.lower if a.target is not None and a.target.lower is not None else math.nan for a in assessed
    ]
    uppers = [
        a.target.upper if a.target is not None and a.target.upper is not None else math.nan for a in assessed
    ]
    if any(not math.isnan(v) for v in lowers + uppers):
        # A band with one edge is shaded as a line at that edge.
        low = [u if math.isnan(v) else v for v, u in zip(lowers, uppers, strict=True)]
        high = [v if math.isnan(u) else u for v, u in zip(lowers, uppers, strict=True)]
        ax.fill_between(xs, low, high, step="mid", color=BAND_COLOUR, label="Target band")
    if any(not math.isnan(t) for t in targets):
        ax.step(xs, targets, where="mid", color=TARGET_COLOUR, linestyle="--", linewidth=1.5, label="Target")
    ax.plot(xs, values, color=VALUE_COLOUR, marker="o", linewidth=2, label="Value")
    ax.set_xticks(xs, [_label(a) for a in assessed], rotation=60, ha="right", fontsize=8)
    ax.set_ylabel(unit.label)
    if unit is Unit.PERCENTAGE:
        ax.set_ylim(0, 100)
    else:
        ax.set_ylim(bottom=0)
    ax.grid(axis="y", color="#b1b4b6", linewidth=0.5)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=3)
    buffer = io.BytesIO()
    # A fixed salt makes the SVG's element ids, and so the whole image, the same for the same data.
    with matplotlib.rc_context({"svg.hashsalt": "havering-vawg"}):
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def cached_chart_svg(name: str, unit: Unit | str, assessed: list[Assessment]) -> bytes:
    """chart_svg, remembered by everything it draws: a saved value changes the key, so it is never stale."""
    return _chart_svg_for(name, str(unit), tuple(assessed))


@functools.lru_cache(maxsize=256)  # the report's headline charts for a few quarters and both audiences
def _chart_svg_for(name: str, unit: str, assessed: tuple[Assessment, ...]) -> bytes:
    return chart_svg(name, unit, list(assessed))
