"""Prompts are files, one per chain, loaded by name; a user folder overrides any of them."""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent.parent  # synth/
_BUILTIN = [
    _PACKAGE / "prompts_builtin",  # installed wheel
    _PACKAGE.parent / "prompts",  # source checkout / editable install
]


def load_prompt(name: str, override_dir: Path | None = None) -> str:
    """The text of prompt `name` (e.g. "answer_question"): the user's folder first, then built-in."""
    folders = ([Path(override_dir)] if override_dir else []) + _BUILTIN
    for folder in folders:
        path = folder / f"{name}.md"
        if path.is_file():
            return path.read_text(encoding="utf-8")
    raise ConfigError(f"prompt {name!r} not found (looked in {', '.join(str(f) for f in folders)})")
