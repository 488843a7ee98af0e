"""What read-only mode shows (:mod:`dockerlab.jupyter.readonly`): its notice, a cell's banner, and
the note that an engine answers again."""

from __future__ import annotations

from dockerlab.views.common import esc

RUN_FOR_REAL = "git clone the course, then run make lab (see the README)"


def banner_html(what: str) -> str:
    """The notice an engine cell shows in read-only mode."""
    return (
        '<div class="dockerlab-readonly" style="border-left:4px solid #2874a6;background:#eaf2f8;'
        'padding:4px 12px"><b>Needs a Docker engine</b> (read-only mode: none runs here). '
        f"This cell would run <code>{esc(what)}</code>. The output stored above, if any, is from a "
        f"real run. To run it yourself: {esc(RUN_FOR_REAL)}.</div>"
    )


def notice_html(problem=None) -> str:
    """The read-only notice; with ``problem``, also why no engine answers here and the fix."""
    why = ""
    if problem is not None:
        fix = f" <b>What to do:</b> <code>{esc(problem.fix)}</code>" if getattr(problem, "fix", "") else ""
        why = (
            f'<p class="dockerlab-engine-problem"><b>{esc(problem.title)}.</b> {esc(problem.message)}{fix} '
            "On your own machine, start the engine and run the next cell: read-only mode switches itself off "
            "as soon as an engine answers.</p>"
        )
    return (
        '<div style="border:2px solid #2874a6;padding:6px 12px"><b>Read-only mode.</b> No Docker '
        "engine answers in this environment (on Binder, none can). The notebooks show the outputs of "
        "a real run; cells that need the engine say so instead of running, and cells about this "
        f"machine's own kernel still run live. To do the course for real: {esc(RUN_FOR_REAL)}.{why}</div>"
    )


def engine_back_html() -> str:
    return (
        '<div class="dockerlab-readonly-off" style="border-left:4px solid #1e8449;padding:4px 12px">'
        "<b>The Docker engine answers now:</b> read-only mode is off and cells run for real again. "
        "Cells run while it was on did nothing; run them again if this one needs what they make.</div>"
    )
