"""Masking secrets (synth/redact.py): masked before cut, pieces of a key masked, and streamed
text masked even when a key arrives split across pieces."""

from __future__ import annotations

import pytest

from synth import redact
from synth.errors import ModelError, SynthError

KEY = "sk-proj-UNITKEY" + "0123456789abcdef" * 3  # 63 characters
PIECES = {KEY[i : i + redact.FRAGMENT] for i in range(len(KEY) - redact.FRAGMENT + 1)}


@pytest.fixture(autouse=True)
def registered(monkeypatch):
    monkeypatch.setattr(redact, "_SECRETS", {KEY})


def leaks(text: str) -> bool:
    return any(piece in text for piece in PIECES)


@pytest.mark.parametrize("padding", range(130, 205))
def test_a_key_straddling_the_cut_leaves_no_piece(padding):
    text = "x" * padding + f" Bearer {KEY} refused"
    assert not leaks(redact.shortened(text, 200))
    assert not leaks(str(SynthError(text[:200])))  # cut first by someone else: its piece is masked


def test_a_piece_anywhere_is_masked_and_ordinary_text_kept():
    text = f"key={KEY[5:40]} then {KEY[-9:]}; short {KEY[10:16]} stays; ok"
    masked = redact.without_secrets(text)
    assert not leaks(masked) and masked.startswith("key=*** then ***;") and masked.endswith("stays; ok")


def test_server_error_messages_are_masked_before_the_cut():
    from synth.llm.structured import _short

    class ServerError(Exception):
        body = {"error": {"message": "y" * 180 + f" Authorization: Bearer {KEY}"}}

    assert not leaks(_short(ServerError()))
    assert not leaks(str(ModelError(_short(ServerError()))))


@pytest.mark.parametrize("split", range(0, 80, 3))
def test_a_streamed_key_split_across_pieces_is_masked(split):
    reply = f"The answer is {KEY} and more text after it."
    shown: list[str] = []
    masker = redact.StreamMasker(shown.append)
    for piece in (reply[:split], reply[split : split + 5], reply[split + 5 :]):
        masker(piece)
    masker.flush()
    assert "".join(shown) == "The answer is *** and more text after it."
