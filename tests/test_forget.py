"""Forget means forget: after `synth forget`, no file of the store holds the meeting's words,
whatever synth and Chroma built from them (insights, flags, the model cache, the lexical
postings, Chroma's write-ahead queue, the full-text index, SQLite's free pages)."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from testkit import EXAMPLES, run_on

from synth.store import codec

pytestmark = pytest.mark.slow  # the real store and embedding model

MARKER = b"zanzibarquokka"
MEETING = """---
title: Zanzibarquokka export review
date: 2026-10-09
team: sales
---

**Dana Whitfield:** Customers keep asking for the zanzibarquokka export; it blocks three renewals.

**Sam Ortiz:** We assume the zanzibarquokka export is what fleets want. We decided to build it.

**Marcus Lee:** Onboarding is slow because the zanzibarquokka importer breaks on spreadsheets.
"""


def files_holding(folder: Path, marker: bytes) -> list[str]:
    """Every file under `folder` whose bytes hold `marker`, in any letter case."""
    return sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and marker in p.read_bytes().lower()
    )


def packed_values(folder: Path) -> bytes:
    """Every value synth packed into metadata (codec.pack: compressed, so a search of the files'
    bytes cannot see its words), unpacked, from the database's records and Chroma's write-ahead
    queue."""
    records: list[dict] = []
    with contextlib.closing(sqlite3.connect(folder / "chroma.sqlite3")) as db:
        rows = db.execute(
            "SELECT id, key, coalesce(string_value, int_value) FROM embedding_metadata "
            "WHERE key = 'parts' OR key GLOB 'z[0-9]*'"
        )
        by_id: dict[int, dict] = {}
        for record, key, value in rows:
            by_id.setdefault(record, {})[key] = value
        records += by_id.values()
        queued = db.execute("SELECT metadata FROM embeddings_queue WHERE metadata IS NOT NULL").fetchall()
        records += [json.loads(m) for (m,) in queued]
    return b"\n".join(codec.unpack(r).encode() for r in records if "z0" in r).lower()


def heap_files(names: list[str]) -> list[str]:
    """Chroma's HNSW `length.bin` and `data_level0.bin` files: hnswlib writes their unused slots
    (and a node's unused link slots) from memory it never cleared, so they can hold any bytes the
    writing process had freed (README, "Safety", and docs/forget.md say so; a run in ten found the
    marker in `data_level0.bin`)."""
    return [n for n in names if Path(n).name in ("length.bin", "data_level0.bin")]


def test_forget_leaves_no_file_of_the_store_holding_the_meetings_words(tmp_path):
    notes = tmp_path / "notes"
    shutil.copytree(EXAMPLES / "meetings", notes)
    (notes / "2026-10-09-export-review.md").write_text(MEETING)
    store = tmp_path / "store"
    for args in (
        ["ingest", str(notes)],
        ["vision", "set", str(EXAMPLES / "vision.md")],
        ["check", "--all"],
        ["brief", "--since", "2026-09-01", "--out", str(tmp_path / "brief.md")],
    ):
        result = run_on(store, *args, offline=True)
        assert result.exit_code == 0, (args, result.output)
    assert MARKER in (tmp_path / "brief.md").read_bytes().lower()
    before = files_holding(store, MARKER)
    assert "chroma.sqlite3" in before  # the records, the queue, the full-text index
    assert MARKER in packed_values(store)  # the passages' texts and the postings, compressed

    forgot = run_on(store, "forget", "zanzibarquokka", offline=True)
    assert forgot.exit_code == 0 and "flags that quoted it" in forgot.output, forgot.output

    left = files_holding(store, MARKER)
    assert left == heap_files(left), left
    assert MARKER not in packed_values(store)
    # the store still works, in this process and for the next writer
    assert "zanzibarquokka" not in run_on(store, "search", "export importer spreadsheets", offline=True).output.lower()
    again = run_on(store, "ingest", str(EXAMPLES / "meetings"), offline=True)
    assert again.exit_code == 0, again.output
    checked = run_on(store, "check", "--all", offline=True)
    assert checked.exit_code == 0, checked.output
    assert run_on(store, "meetings", offline=True).output.count("\n") >= 10
