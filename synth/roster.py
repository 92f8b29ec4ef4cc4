"""Rosters: which function each person belongs to.

Accepted shapes (YAML, JSON or CSV):
  functions to people   sales: [Dana Whitfield, Omar Reyes]
  people to functions   Dana Whitfield: sales
  CSV                   name,function  (one person a row; a header row is optional)
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from .errors import InputError
from .teams import normalize_team


def load_roster(path: str | Path) -> dict[str, str]:
    """Read a roster file into {person: function}."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InputError(source, f"cannot read roster ({exc.strerror or exc})") from None
    except UnicodeDecodeError:
        raise InputError(source, "roster is not UTF-8 text") from None
    if path.suffix.lower() == ".csv":
        return _from_rows(list(csv.reader(io.StringIO(text))), source)
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            from .readers.safeyaml import load_yaml

            data = load_yaml(text)
    except Exception as exc:
        raise InputError(source, f"roster is not valid YAML/JSON ({exc.__class__.__name__}: {exc})") from None
    if not isinstance(data, dict):
        raise InputError(source, "roster must map functions to lists of people, or people to functions")
    roster: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, list):
            team = normalize_team(str(key))
            if team is None:
                raise InputError(source, f"{key!r} is not a function synth knows")
            for person in value:
                roster[str(person).strip()] = team
        else:
            team = normalize_team(str(value))
            if team is None:
                raise InputError(source, f"{value!r} (for {key}) is not a function synth knows")
            roster[str(key).strip()] = team
    return roster


def _from_rows(rows: list[list[str]], source: str) -> dict[str, str]:
    roster: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        if not row or not "".join(row).strip():
            continue
        if len(row) < 2:
            raise InputError(source, "expected name,function", line=number)
        team = normalize_team(row[1])
        if team is None:
            if number == 1:
                continue  # a header row
            raise InputError(source, f"{row[1]!r} is not a function synth knows", line=number)
        roster[row[0].strip()] = team
    return roster
