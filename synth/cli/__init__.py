"""The `synth` command. It only adapts the library (synth.app) to the command line: options are
parsed into typed values (options.py: a bad value is a usage error, exit 2), the library does the
work, synth's errors become one line and exit 1 (adapter.SynthGroup), and render.py makes the text.

This file is the root group and the process; the commands are in ingest.py (ingest, extract,
roster), meetings.py (insights, search, ask, meetings, forget, status), vision.py and review.py
(check, flags, brief, report), serve.py (mcp, watch). Heavy modules (the app pulls in numpy; the store, chromadb) are
imported inside the commands, so that `synth --help` stays instant.
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path

import click

from .. import __version__
from ..config import DEFAULT_STORE, Settings
from ..redact import register_environment_secrets
from . import ingest, meetings, review, serve, vision
from .adapter import AppContext, SynthGroup
from .options import DefaultShownOption, env_name


@click.group(cls=SynthGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="synth")
@click.option(
    "--store",
    cls=DefaultShownOption,
    shown_default=DEFAULT_STORE,
    metavar="PATH",
    help=f"The store folder [env {env_name('store')}].",
)
@click.option(
    "--chroma-url",
    metavar="URL",
    help=f"Use the Chroma server at URL instead of the store folder (team mode) [env {env_name('chroma_url')}; "
    f"{env_name('chroma_token')} is sent as its auth header].",
)
@click.option("--offline", is_flag=True, help=f"Never call a language model [env {env_name('offline')}].")
@click.option("--base-url", metavar="URL", help=f"OpenAI-compatible endpoint [env {env_name('base_url')}].")
@click.option("--model", metavar="NAME", help=f"Chat model name [env {env_name('model')}].")
@click.option(
    "--api-key",
    metavar="KEY",
    help=f"API key [env {env_name('api_key')}; prefer the variable]. Never printed or stored.",
)
@click.option(
    "--prompts",
    "prompts_dir",
    metavar="DIR",
    help=f"Folder of prompts that override the built-in ones [env {env_name('prompts_dir')}].",
)
@click.option(
    "--init-store",
    is_flag=True,
    help="Let a writing command create the store in a folder that already holds other files "
    f"(synth refuses by default) [env {env_name('init_store')}].",
)
@click.option("-v", "--verbose", is_flag=True, help="Say more.")
@click.pass_context
def cli(
    ctx: click.Context,
    store: str | None,
    chroma_url: str | None,
    offline: bool,
    base_url: str | None,
    model: str | None,
    api_key: str | None,
    prompts_dir: str | None,
    init_store: bool,
    verbose: bool,
) -> None:
    """synth: what every function of a product team learned, searchable with sources.

    \b
    Quick start:
      synth ingest examples/meetings/ --roster examples/roster.yaml
      synth search "onboarding"
      synth ask "what did sales hear about onboarding?"
    """
    register_environment_secrets()  # a key in the environment is never shown, even one a flag overrides
    # only the flags given go in; Settings reads the environment variables and defaults for the rest
    ctx.obj = AppContext(
        Settings.from_env(
            store=store,
            chroma_url=chroma_url,
            offline=offline or None,
            base_url=base_url,
            model=model,
            api_key=api_key,
            prompts_dir=Path(prompts_dir) if prompts_dir else None,
            verbose=verbose,
            init_store=init_store or None,
        )
    )


for _command in (
    ingest.ingest,
    ingest.extract,
    ingest.roster,
    meetings.insights,
    meetings.search,
    meetings.ask,
    meetings.meetings,
    meetings.forget,
    meetings.status,
    vision.vision,
    review.check,
    review.flags,
    review.brief,
    review.report,
    serve.mcp,
    serve.watch,
):
    cli.add_command(_command)


def main() -> None:
    """The `synth` console script."""
    try:
        cli(prog_name="synth")
    except SystemExit as exc:
        from ..store.locking import wrote_in_this_process

        if not wrote_in_this_process():
            from ..store.client import remove_read_only_copies

            remove_read_only_copies()  # the quick exit skips atexit
            _exit_now(exc.code)
        raise


def _exit_now(code: str | int | None) -> None:
    """End the process without Python's teardown of Chroma and a few thousand modules (0.1 to
    0.2 s of every search). Only for a process that took no writer lock, so nothing it did is
    left to write; a Chroma server has each write done when its call returns."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)  # what sys.exit("message") would have printed
        code = 1
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed or broken pipe: nothing more to say
            stream.flush()
    os._exit(code or 0)
