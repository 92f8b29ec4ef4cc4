"""No regular expression in synth needs super-linear work on hostile text (issue 16).

Every pattern is found, not listed: the compiled patterns that synth's modules hold (at module
level, in classes, tuples and dicts) and every literal pattern passed to a `re` function in the
source. Each is run by tests/regexsteps.py, a backtracking matcher that counts steps, on inputs
made from its own characters (runs of spaces, non-breaking spaces, its literals) at two sizes. A
pattern added later is checked the same way. No clock is read.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import synth
from synth import text as synth_text
from synth.readers import lines, subtitles
from tests.regexsteps import SUPER_LINEAR, Matcher, growth

SOURCE = Path(synth.__file__).parent


def _held(value: object, found: dict[tuple[str, int], str], where: str, depth: int = 0) -> None:
    if isinstance(value, re.Pattern):
        found.setdefault((value.pattern, value.flags), where)
    elif depth < 2 and isinstance(value, tuple | list | set | frozenset):
        for item in value:
            _held(item, found, where, depth + 1)
    elif depth < 2 and isinstance(value, dict):
        for item in [*value.keys(), *value.values()]:
            _held(item, found, where, depth + 1)


def compiled_patterns() -> dict[tuple[str, int], str]:
    """Every compiled pattern a synth module or class holds, with where it lives."""
    found: dict[tuple[str, int], str] = {}
    for module_info in pkgutil.walk_packages(synth.__path__, "synth."):
        if module_info.name.endswith("__main__"):
            continue
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            _held(value, found, f"{module_info.name}.{name}")
            if isinstance(value, type) and value.__module__ == module.__name__:
                for attr, item in vars(value).items():
                    _held(item, found, f"{module_info.name}.{name}.{attr}")
    return found


def _flags(call: ast.Call) -> int:
    flags = 0
    for argument in [*call.args[1:], *(keyword.value for keyword in call.keywords)]:
        for node in ast.walk(argument):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "re":
                flag = getattr(re, node.attr, None)
                if isinstance(flag, re.RegexFlag):
                    flags |= flag
    return flags


def literal_patterns() -> dict[tuple[str, int], str]:
    """Every string literal given as the pattern of a `re.` call in synth's source."""
    found: dict[tuple[str, int], str] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
                continue
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "re"):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and node.func.attr != "escape":
                where = f"{path.relative_to(SOURCE.parent)}:{node.lineno}"
                found.setdefault((first.value, int(re.compile(first.value, _flags(node)).flags)), where)
    return found


def all_patterns() -> list[tuple[str, int, str]]:
    found = {**literal_patterns(), **compiled_patterns()}
    return [(pattern, flags, where) for (pattern, flags), where in sorted(found.items(), key=lambda kv: kv[1])]


PATTERNS = all_patterns()


def test_the_collection_finds_patterns_of_every_kind():
    wheres = {where for _, _, where in PATTERNS}
    assert len(PATTERNS) > 150
    assert any(w.startswith("synth.readers.lines._LABELLED") for w in wheres)  # compiled, module level
    assert any(w.startswith("synth/vision.py:") for w in wheres)  # a literal inside a function
    assert any(w.startswith("synth.offline._LABELLED") for w in wheres)  # built from a word list
    assert (synth_text._CONTROL.pattern, synth_text._CONTROL.flags) in {(p, f) for p, f, _ in PATTERNS}


@pytest.mark.parametrize(
    "pattern",
    [r"(a+)+$", r"\s+x", r"^#+\s+(.*?)\s*$", r"a*a*b", r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$", r"^(\w+\s?)*$"],
)
def test_the_step_counter_catches_known_super_linear_patterns(pattern):
    ratio, _ = growth(pattern)
    assert ratio > SUPER_LINEAR


@pytest.mark.parametrize("pattern", [r"\s+", r"^\s*(\w+)\s*:", r"\bfoo\b", r"[^a-z0-9]+", lines._FRONT_MATTER.pattern])
def test_the_step_counter_passes_linear_patterns(pattern):
    ratio, _ = growth(pattern, re.S if pattern == lines._FRONT_MATTER.pattern else 0)
    assert ratio <= SUPER_LINEAR


@pytest.mark.slow
@pytest.mark.parametrize("pattern,flags,where", PATTERNS, ids=[where for _, _, where in PATTERNS])
def test_no_pattern_in_synth_is_super_linear(pattern, flags, where):
    ratio, text = growth(pattern, flags)
    assert ratio <= SUPER_LINEAR, f"{where}: {pattern!r} takes {ratio:.1f}x the steps when {text[:40]!r}... doubles"


@pytest.mark.parametrize("pattern", [lines._LABELLED, subtitles._INLINE_SPEAKER], ids=["labelled", "inline-speaker"])
@pytest.mark.parametrize("space", [" ", "\u00a0", "\t"])
def test_a_speaker_label_scans_a_line_of_spaces_once(pattern, space):
    # linear was not enough: a name of up to 40 characters, each length followed by \s*, read the
    # spaces 40 times or more (about 100 steps a character); now a few times (about 10)
    text = "A" + space * 2000 + "x"
    steps = Matcher(pattern.pattern, pattern.flags).search_steps(text)
    assert steps < 15 * len(text), steps
