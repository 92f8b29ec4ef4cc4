"""Retrieval quality on QMSum val: synth's hybrid search against the LangChain tutorial baseline.

    python bench/retrieval.py [--rebuild] [--split val|train]

All 35 val meetings go into one store (cross-meeting distractors). synth's ranking was tuned
on val; `--split train` runs the same on 35 train meetings in val's mix of domains, as a check
that it holds on meetings it was not tuned on. Every specific query is
scored: turn recall@k, hit@k, span recall@k and characters retrieved, for k = 1, 3, 5, 10, 20.
The baseline is what a LangChain tutorial builds: RecursiveCharacterTextSplitter with
1000-character chunks and 200 overlap, the same MiniLM model, top-k from Chroma by cosine.
A chunk covers a turn when their character ranges overlap (synth: when their line ranges do;
each turn of the converted markdown is one line).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys

from common import CACHE, Timer, load_queries, load_turns, qmsum_train_sample_markdown, qmsum_val_markdown, table

KS = (1, 3, 5, 10, 20)


def synth_results(folder, queries, rebuild, suffix=""):
    from synth.app import Synth
    from synth.config import Settings

    path = CACHE / f"synth_store{suffix}"
    if rebuild:
        shutil.rmtree(path, ignore_errors=True)
    app = Synth(Settings(store=path))
    with Timer() as t:
        report = app.ingest([str(p) for p in sorted(folder.glob("*.md"))], extract=False)
    print(
        f"synth store: {report.meetings} meetings ingested, {report.unchanged} unchanged, "
        f"{app.store().meetings.count_passages()} passages ({t.seconds:.1f} s)",
        file=sys.stderr,
    )
    results = {}
    for q in queries:
        hits = app.search(q["query"], k=max(KS))
        results[q["query_id"]] = [
            (h.source.rsplit("/", 1)[-1][:-3], ("lines", h.start_line, h.end_line), len(h.text)) for h in hits
        ]
    return results


def baseline_results(folder, queries, rebuild, suffix=""):
    import chromadb
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from synth.embeddings import get_embedder

    embedder = get_embedder()
    path = CACHE / f"baseline_store{suffix}"
    if rebuild:
        shutil.rmtree(path, ignore_errors=True)
    client = chromadb.PersistentClient(path=str(path), settings=chromadb.Settings(anonymized_telemetry=False))
    collection = client.get_or_create_collection(
        "baseline", configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
    )
    if collection.count() == 0:
        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200, add_start_index=True)
        with Timer() as t:
            for md in sorted(folder.glob("*.md")):
                text = md.read_text()
                docs = splitter.create_documents([text])
                ids = [f"{md.stem}:{i}" for i in range(len(docs))]
                vectors = embedder.embed([d.page_content for d in docs])
                metas = [
                    {
                        "meeting": md.stem,
                        "start": d.metadata["start_index"],
                        "end": d.metadata["start_index"] + len(d.page_content),
                    }
                    for d in docs
                ]
                for s in range(0, len(ids), 1000):
                    collection.add(
                        ids=ids[s : s + 1000],
                        embeddings=vectors[s : s + 1000],
                        documents=[d.page_content for d in docs][s : s + 1000],
                        metadatas=metas[s : s + 1000],
                    )
        print(f"baseline store: {collection.count()} chunks ({t.seconds:.1f} s)", file=sys.stderr)
    results = {}
    vectors = embedder.embed([q["query"] for q in queries])
    for q, v in zip(queries, vectors):
        got = collection.query(query_embeddings=[v], n_results=max(KS), include=["metadatas"])
        results[q["query_id"]] = [
            (m["meeting"], ("chars", m["start"], m["end"]), m["end"] - m["start"]) for m in got["metadatas"][0]
        ]
    return results


def covered(chunk, turns):
    meeting, (kind, start, end), _ = chunk
    found = set()
    for t in turns.get(meeting, []):
        by_line = kind == "lines" and start <= t["line"] <= end
        by_char = kind == "chars" and start < t["text_end"] and t["text_start"] < end
        if by_line or by_char:
            found.add(t["turn"])
    return found


def score(results, queries, turns):
    rows = {}
    for k in KS:
        recall, hit, spans, chars = [], [], [], []
        for q in queries:
            gold = set(q["gold_turns_in_md"])
            top = results[q["query_id"]][:k]
            got = set()
            for chunk in top:
                if chunk[0] == q["meeting_id"]:
                    got |= covered(chunk, turns)
            recall.append(len(gold & got) / len(gold))
            hit.append(1.0 if gold & got else 0.0)
            spans.append(
                statistics.mean(
                    1.0 if any(int(a) <= t <= int(b) for t in got) else 0.0 for a, b in q["relevant_text_span"]
                )
            )
            chars.append(sum(c[2] for c in top))
        rows[k] = (statistics.mean(recall), statistics.mean(hit), statistics.mean(spans), statistics.mean(chars))
    return rows


def domain_of(meeting_id):
    if meeting_id[:2] in ("ES", "IS", "TS"):
        return "product"
    if meeting_id.startswith(("covid", "education")):
        return "committee"
    return "academic"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="rebuild both stores from scratch")
    parser.add_argument(
        "--split",
        choices=("val", "train"),
        default="val",
        help="val (the benchmark) or 35 train meetings (not tuned on)",
    )
    args = parser.parse_args()
    folder = qmsum_val_markdown() if args.split == "val" else qmsum_train_sample_markdown()
    suffix = "" if args.split == "val" else "_train35"
    queries = load_queries(folder)
    turns = load_turns(folder)
    synth = synth_results(folder, queries, args.rebuild, suffix)
    base = baseline_results(folder, queries, args.rebuild, suffix)
    s, b = score(synth, queries, turns), score(base, queries, turns)
    print(f"\nQMSum {args.split}: {len(queries)} specific queries over {len(turns)} meetings in one store\n")
    rows = []
    for k in KS:
        rows.append(
            [
                k,
                f"{100 * b[k][0]:.1f}",
                f"{100 * s[k][0]:.1f}",
                f"{100 * (s[k][0] - b[k][0]):+.1f}",
                f"{100 * b[k][1]:.1f}",
                f"{100 * s[k][1]:.1f}",
                f"{100 * b[k][2]:.1f}",
                f"{100 * s[k][2]:.1f}",
                f"{b[k][3]:.0f}",
                f"{s[k][3]:.0f}",
                f"{s[k][3] / b[k][3]:.2f}",
            ]
        )
    print(
        table(
            [
                "k",
                "recall base",
                "recall synth",
                "diff",
                "hit base",
                "hit synth",
                "span base",
                "span synth",
                "chars base",
                "chars synth",
                "chars ratio",
            ],
            rows,
        )
    )
    print("\nrecall@10 by domain")
    drows = []
    for domain in ("product", "academic", "committee"):
        sub = [q for q in queries if domain_of(q["meeting_id"]) == domain]
        sd, bd = score(synth, sub, turns), score(base, sub, turns)
        drows.append(
            [
                domain,
                len(sub),
                f"{100 * bd[10][0]:.1f}",
                f"{100 * sd[10][0]:.1f}",
                f"{100 * bd[10][1]:.1f}",
                f"{100 * sd[10][1]:.1f}",
            ]
        )
    print(table(["domain", "queries", "recall base", "recall synth", "hit base", "hit synth"], drows))


if __name__ == "__main__":
    main()
