"""Writes docs/help.md from the commands' own --help (`make help-doc`); a test checks it."""

from __future__ import annotations

import click
from click.testing import CliRunner

from .cli import cli


def command_paths(group: click.Group = cli, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and group under `group`, as the words that name it (the root is ())."""
    paths = [prefix]
    for name in sorted(group.commands):
        command = group.commands[name]
        if isinstance(command, click.Group):
            paths.extend(command_paths(command, prefix + (name,)))
        else:
            paths.append(prefix + (name,))
    return paths


def render() -> str:
    """docs/help.md: the --help of every command, in order."""
    runner = CliRunner()
    parts = ["# synth command reference", "", "Generated from `--help` by `make help-doc`; do not edit.", ""]
    for path in command_paths():
        result = runner.invoke(cli, [*path, "--help"], prog_name="synth", terminal_width=100)
        parts += [f"## synth {' '.join(path)}".rstrip(), "", "```text", result.output.rstrip(), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
