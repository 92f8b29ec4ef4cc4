"""The labelled teams of bench/data/teams (issue 15): the test split is frozen, and synth's
readers find every labelled quote in the turns they read."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

from synth.errors import InputError
from synth.readers import ReadOptions, read_meeting
from synth.roster import load_roster

TEAMS = Path(__file__).resolve().parent.parent / "bench" / "data" / "teams"
TEST_SET_SHA256 = "571b872cad12fa2284955af2099e500de2216cf5d0a936dd90d637aaeffeea62"
# The product's name as the team of an all-hands meeting: refused today (see the folder's README).
PRODUCT_AS_TEAM = "is not a function synth knows"


def team_folders() -> list[Path]:
    return sorted(p for p in TEAMS.iterdir() if p.is_dir())


def test_the_test_split_is_frozen():
    digest = hashlib.sha256()
    for team in (p for p in team_folders() if p.name.startswith("test-")):
        for path in sorted(team.rglob("*")):
            if path.is_file():
                digest.update(str(path.relative_to(TEAMS)).encode() + b"\0" + path.read_bytes() + b"\0")
    assert digest.hexdigest() == TEST_SET_SHA256, "the frozen test split changed: see bench/data/teams/README.md"
    assert TEST_SET_SHA256 in (TEAMS / "README.md").read_text()


def labelled_quotes(labels: dict) -> list[tuple[str, str, str]]:
    quotes = [(i["id"], i["file"], i["quote"]) for i in labels["insights"]]
    for group in ("tensions", "lookalikes"):
        for item in labels.get(group) or []:
            sides = [item[s] for s in ("a", "b") if s in item] + list(item.get("evidence") or [])
            quotes += [(item["id"], side["file"], side["quote"]) for side in sides]
    return quotes


@pytest.mark.parametrize("team", team_folders(), ids=lambda p: p.name)
def test_every_labelled_quote_is_in_a_turn_synth_reads(team: Path):
    roster = load_roster(team / "roster.yaml")
    turns: dict[str, list[str]] = {}
    for path in sorted((team / "meetings").iterdir()):
        try:
            meeting = read_meeting(path.read_bytes(), str(path), ReadOptions(roster=roster))
        except InputError as exc:
            assert PRODUCT_AS_TEAM in str(exc), exc  # the one known refusal; anything else is new
            meeting = read_meeting(path.read_bytes(), str(path), ReadOptions(roster=roster, team="product"))
        assert meeting.turns, path
        turns[f"meetings/{path.name}"] = [" ".join(t.text.split()) for t in meeting.turns]
    vision = (team / "vision.md").read_text(encoding="utf-8").splitlines()
    labels = yaml.safe_load((team / "labels.yaml").read_text(encoding="utf-8"))
    quotes = labelled_quotes(labels)
    assert len(labels["insights"]) >= 25 and len(quotes) > len(labels["insights"])
    missing = [
        (qid, file, quote)
        for qid, file, quote in quotes
        if not any(" ".join(quote.split()) in text for text in (vision if file == "vision.md" else turns[file]))
    ]
    assert not missing, missing[:5]
