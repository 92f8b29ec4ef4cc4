"""The adapter between Click and the library: the root group's error mapping, the app handed
to each command, and the one way to print JSON and write `--out`."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import click

from ..config import Settings
from ..errors import SynthError
from ..redact import without_secrets

if TYPE_CHECKING:
    from ..app import Synth
    from ..render import JsonValue

P = ParamSpec("P")
R = TypeVar("R")


def _debugging() -> bool:
    return os.environ.get("SYNTH_DEBUG") == "1"


class SynthGroup(click.Group):
    """The root group: a SynthError becomes its message and exit 1; anything else, a bug, is
    said plainly without a traceback. SYNTH_DEBUG=1 lets both through with their traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except SynthError as exc:
            if _debugging():
                raise
            raise click.ClickException(str(exc)) from None  # masked when it was made
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; nothing half-stored is visible, run the command again") from None
        except Exception as exc:  # a bug: say so plainly, without a traceback
            if _debugging():
                raise
            raise click.ClickException(
                f"unexpected {type(exc).__name__}: {without_secrets(str(exc))} (set SYNTH_DEBUG=1 to see where)"
            ) from None


class AppContext:
    """What the root group hands its commands (`ctx.obj`): the settings, and the app, made
    when a command first needs it (importing it is what `--help` must not pay for)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._app: Synth | None = None

    @property
    def app(self) -> Synth:
        if self._app is None:
            from ..app import Synth

            def waiting(message: str) -> None:
                click.echo(f"synth: {message}...", err=True)

            self._app = Synth(self.settings, on_wait=waiting)
        return self._app


_pass_context_obj = click.make_pass_decorator(AppContext)


def pass_app(command: Callable[Concatenate[Synth, P], R]) -> Callable[P, R]:
    """Call the command with the app as its first argument (click.make_pass_decorator's way,
    through the light AppContext: the app itself is made only when a command runs)."""

    @_pass_context_obj
    @functools.wraps(command)
    def with_app(state: AppContext, *args: P.args, **kwargs: P.kwargs) -> R:
        return command(state.app, *args, **kwargs)

    return with_app


def echo_json(value: JsonValue) -> None:
    """Print what a `--json` prints: the models themselves."""
    from ..render import to_json

    click.echo(to_json(value))


def write_out(out: str | None, text: str, what: str) -> None:
    """Write to --out (atomically), or to standard output."""
    from ..outfile import write_atomic

    if not out or out == "-":
        click.echo(text, nl=False)
        return
    write_atomic(Path(out), text, name=f"--out {out}")
    click.echo(f"Wrote {what} to {out}", err=True)
