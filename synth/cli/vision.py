"""The vision: set, show, history, diff."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..errors import NotFoundError
from .adapter import echo_json, pass_app
from .options import json_option

if TYPE_CHECKING:
    from ..app import Synth


@click.group()
def vision() -> None:
    """The product vision that synth check holds every insight against."""


@vision.command("set")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--no-check", is_flag=True, help="Do not re-check the stored insights now.")
@json_option("Print the stored vision and the check as JSON.")
@pass_app
def vision_set(app: Synth, file: str, no_check: bool, as_json: bool) -> None:
    """Store FILE (Markdown) as the new version of the vision and re-check every insight.

    Sections are found by their headings: Vision; Target customers / Personas; Market focus;
    Principles and non-goals ("Non-goal:" bullets); Success metrics; Roadmap with Committed and
    Exploring below it. Each bullet or sentence becomes a statement with its line. Earlier
    versions stay in the history.

    \b
    Example:
      synth vision set docs/vision.md
    """
    from ..render import check_text

    stored, changed, report = app.set_vision(file, check=not no_check)
    if as_json:
        echo_json({"vision": stored, "changed": changed, "check": report})
        return
    counts = ", ".join(f"{len(v)} {k.replace('_', '-')}" for k, v in stored.by_section().items())
    if not changed:
        click.echo(f"Vision unchanged: version {stored.number} is already this file ({counts}).")
        if report:  # the check an interrupted `vision set` left undone
            click.echo("Finishing the check against it that an interrupted run left undone.")
            click.echo(check_text(report))
        return
    click.echo(f"Vision version {stored.number} stored: {len(stored.statements)} statements ({counts}).")
    if report:
        click.echo(check_text(report))


@vision.command("show")
@click.option("--version", "version", metavar="N", help="An earlier version (number from synth vision history).")
@json_option()
@pass_app
def vision_show(app: Synth, version: str | None, as_json: bool) -> None:
    """Show the vision's statements by section, with their lines.

    \b
    Example:
      synth vision show --json
    """
    from ..render import vision_text

    stored = app.vision(version)
    if stored is None:
        raise NotFoundError("no vision set; store one with: synth vision set FILE")
    if as_json:
        echo_json(stored)
    else:
        click.echo(vision_text(stored))


@vision.command("history")
@json_option()
@pass_app
def vision_history(app: Synth, as_json: bool) -> None:
    """List the versions of the vision, oldest first.

    \b
    Example:
      synth vision history
    """
    from ..render import vision_history_text

    entries = app.vision_history()
    if as_json:
        echo_json(entries)
    else:
        click.echo(vision_history_text(entries))


@vision.command("diff")
@click.argument("old", required=False)
@click.argument("new", required=False)
@pass_app
def vision_diff(app: Synth, old: str | None, new: str | None) -> None:
    """Statements added and removed between two versions (default: the previous and the current).

    \b
    Example:
      synth vision diff 1 3
    """
    from ..render import vision_diff_text

    first, second, changes = app.vision_diff(old, new)
    click.echo(vision_diff_text(first, second, changes))
