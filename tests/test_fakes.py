"""The fast tier's embedder behaves like a real one where tests rely on it."""

from __future__ import annotations

import math

from fakes import HashEmbedder, cosine


def test_vectors_are_unit_length_deterministic_and_in_input_order():
    texts = ["Customers export invoices to Excel every week.", "QuickBooks sync fails offline.", ""]
    first, again = HashEmbedder().embed(texts), HashEmbedder().embed(list(texts))
    assert first == again
    assert [len(v) for v in first] == [384, 384, 384]
    assert all(math.isclose(sum(x * x for x in v), 1.0) for v in first)
    # embed() batches by length; the vectors still come back in the order of the texts
    assert first[0] == HashEmbedder().embed([texts[0]])[0]
    assert first[0] != first[1]


def test_texts_that_share_words_are_closer_than_texts_that_do_not():
    embedder = HashEmbedder()
    a, b, c = embedder.embed(
        [
            "Technicians lose signal in crawl spaces and the app stops syncing.",
            "The app stops syncing when technicians lose signal.",
            "Marketing wants a new pricing page for enterprise fleets.",
        ]
    )
    assert cosine(a, b) > 0.6
    assert abs(cosine(a, c)) < 0.25
    assert cosine(a, b) > cosine(a, c) + 0.4


def test_word_forms_share_a_prefix_feature_and_common_words_count_for_nothing():
    embedder = HashEmbedder()
    export, exports, unrelated = embedder.embed(["export invoices", "exporting invoices", "schedule drivers"])
    assert cosine(export, exports) > cosine(export, unrelated) + 0.3
    assert embedder.embed(["the pricing of it"]) == embedder.embed(["pricing"])


def test_the_dimension_is_a_parameter():
    assert [len(v) for v in HashEmbedder(dimensions=16).embed(["one two three"])] == [16]
