"""Where ingest time goes, and how close `ingest --no-extract` comes to the model alone.

    PYTHONPATH=. python bench/embed_speed.py [all|ingest] [--meetings 6] [--sample 150] [--before DIR]

On the first N QMSum val meetings (bench/.cache/qmsum_val_md), prints three tables:

1. this tree's model settings on a sample of the passages: onnxruntime threads, how many texts
   of one token length run together (none is padded), spinning threads; passages per second
   (wall) and CPU milliseconds per passage (steadier than the wall on a shared machine); the
   padded batches of 8 of the code before are measured in table 3;
2. the parts of an ingest in this process: reading and chunking, tokenising, the model, Chroma's
   writes, the lexical postings;
3. `synth ingest --no-extract` of the N meetings in a new process against the raw embedding of
   exactly the same texts (the floor), for the code at --before (the code before this change) and
   for this tree; the ratio of the walls, and the cosine between both codes' vectors (`ingest`
   prints only this table). Each code runs in its own folder with it first on the path.

Also the embeddings the offline extraction asks for and those it computes (a text embedded
lately is not embedded again). The machine's load is printed beside each timing: read the
ratios and the CPU times more than the walls when other work runs.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import CACHE, ROOT, qmsum_val_markdown, table


def load() -> str:
    return f"{os.getloadavg()[0]:.1f}"


def meeting_files(count: int) -> list[Path]:
    return sorted(qmsum_val_markdown().glob("*.md"))[:count]


def texts_of(files: list[Path]) -> list[str]:
    """What ingest embeds for these files, in order: each meeting's passages, then its title."""
    from synth.chunker import chunk_meeting, embedding_text
    from synth.readers import ReadOptions, read_meeting

    texts = []
    for path in files:
        meeting = read_meeting(path.read_bytes(), str(path), ReadOptions())
        texts += [embedding_text(p.text) for p in chunk_meeting(meeting)] + [meeting.title]
    return texts


def timed(function, *args):
    """(result, wall seconds, CPU seconds of this process: every thread)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = function(*args)
    return result, time.perf_counter() - wall, time.process_time() - cpu


# --- run under the code being measured (a child process) ---------------------------------------


def raw(args) -> None:
    """The model alone over the texts of the meetings, with the code on PYTHONPATH; the vectors
    are written to --vectors, the timing printed as JSON."""
    import numpy as np

    from synth.embeddings import get_embedder

    texts = texts_of(meeting_files(args.meetings))
    embedder = get_embedder()
    embedder.embed(texts[:20])  # the model loaded and warm, as in an ingest after its first meeting
    embedder.__dict__.pop("_recent", None)
    vectors, wall, cpu = timed(embedder.embed, texts)
    np.save(args.vectors, np.array(vectors, dtype=np.float32))
    print(json.dumps({"texts": len(texts), "wall": wall, "cpu": cpu, "load": load()}))


# --- the tables --------------------------------------------------------------------------------


def settings_rows(sample: list[str]) -> list[list[str]]:
    """The model's settings on the same sample of passages."""
    from synth.embeddings import MiniLMEmbedder

    rows = []
    cpus = os.cpu_count() or 1
    for threads, run, spinning in [(cpus, 8, True), (cpus, 8, False), (cpus, 1, False), (1, 8, False), (1, 1, False)]:
        embedder = MiniLMEmbedder(threads=threads, run=run, spinning=spinning)
        embedder.embed(sample[:20])
        embedder.__dict__.pop("_recent", None)
        before = load()
        _, wall, cpu = timed(embedder.embed, sample)
        rows.append(
            [
                f"threads {threads}, run {run}, spinning {'on' if spinning else 'off'}",
                f"{len(sample) / wall:.1f}",
                f"{cpu / len(sample) * 1000:.0f}",
                f"{before} / {load()}",
            ]
        )
    return rows


def parts_rows(files: list[Path]) -> list[list[str]]:
    """The parts of an in-process ingest of the files into a new store."""
    import synth.ingest as ingest_module
    from synth.app import Synth
    from synth.config import Settings
    from synth.embeddings import get_embedder
    from synth.store.meetings import MeetingRepo

    spent: dict[str, float] = {}

    def counted(name, function):
        def wrapper(*args, **kwargs):
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - start

        return wrapper

    embedder = get_embedder()
    embedder.embed(["warm"] * 20)
    originals = (embedder.embed, MeetingRepo.write_version, ingest_module.build_postings)
    embedder.embed = counted("embedding (tokenising and the model)", embedder.embed)  # type: ignore[method-assign]
    MeetingRepo.write_version = counted("Chroma's writes (passages, record, old versions)", MeetingRepo.write_version)  # type: ignore[method-assign]
    ingest_module.build_postings = counted("lexical postings", ingest_module.build_postings)
    store = Path(tempfile.mkdtemp(prefix="embed_speed_"))
    try:
        app = Synth(Settings(store=store / "store", offline=True), embedder=embedder)
        report, wall, _ = timed(lambda: app.ingest([str(f) for f in files], extract=False))
    finally:
        embedder.embed, MeetingRepo.write_version, ingest_module.build_postings = originals  # type: ignore[method-assign]
        shutil.rmtree(store, ignore_errors=True)
    _, chunk_wall, _ = timed(texts_of, files)
    from synth.embeddings import MiniLMEmbedder

    tokenizer = MiniLMEmbedder()._tokenizer
    _, token_wall, _ = timed(tokenizer.encode_batch, texts_of(files))
    rows = [["ingest --no-extract in process, all of it", f"{wall:.2f}", "100%", f"{report.passages} passages"]]
    rows.append(["reading and chunking (measured apart)", f"{chunk_wall:.2f}", f"{chunk_wall / wall:.1%}", ""])
    rows.append(["tokenising (measured apart, inside embedding)", f"{token_wall:.2f}", f"{token_wall / wall:.1%}", ""])
    for name, seconds in spent.items():
        rows.append([name, f"{seconds:.2f}", f"{seconds / wall:.1%}", ""])
    rest = wall - sum(spent.values()) - chunk_wall
    rows.append(["the rest (reading files, hashing, records)", f"{rest:.2f}", f"{rest / wall:.1%}", ""])
    return rows


def child(code: Path, *args: str) -> tuple[str, float, float]:
    """Run `python args` in `code`, with it first on the path: (stdout, wall, CPU of the child)."""
    env = {**os.environ, "PYTHONPATH": str(code)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    out = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, cwd=code)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if out.returncode:
        sys.exit(f"{' '.join(args[:3])} exited {out.returncode}: {out.stderr[-800:]}")
    return out.stdout, wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def ingest_rows(files: list[Path], meetings: int, codes: list[tuple[str, Path]], work: Path) -> list[list[str]]:
    """For each code: a new-process ingest --no-extract, and the raw embedding of the same texts."""
    import numpy as np

    rows, vectors = [], {}
    for label, code in codes:
        store = work / f"store_{label}"
        started = load()
        _, wall, cpu = child(
            code, "-m", "synth", "--store", str(store), "--offline", "ingest", "--no-extract", *map(str, files)
        )
        out, _, _ = child(
            code,
            str(Path(__file__).resolve()),
            "raw",
            "--meetings",
            str(meetings),
            "--vectors",
            str(work / f"{label}.npy"),
        )
        floor = json.loads(out)
        vectors[label] = np.load(work / f"{label}.npy")
        count = floor["texts"]
        rows.append(
            [
                label,
                f"{count / floor['wall']:.1f} ({floor['cpu'] / count * 1000:.0f} ms CPU)",
                f"{count / wall:.1f} ({cpu / count * 1000:.0f} ms CPU)",
                f"{wall / floor['wall']:.2f}x",
                f"{started} / {load()}",
            ]
        )
    if len(vectors) == 2:
        first, second = vectors.values()
        cosines = (first * second).sum(axis=1)
        rows.append(["cosine, before vs after", f"min {cosines.min():.6f}", f"mean {cosines.mean():.7f}", "", ""])
    return rows


def extraction_row(files: list[Path]) -> list[str]:
    """Embeddings the offline extraction asks for, and those it computes."""
    from synth.embeddings import Embedder, get_embedder
    from synth.offline import OfflineExtractor
    from synth.readers import ReadOptions, read_meeting

    embedder = get_embedder()
    asked = 0
    original = embedder.embed

    def counting(texts):
        nonlocal asked
        asked += len(texts)
        return original(texts)

    embedder.embed = counting  # type: ignore[method-assign]
    extractor = OfflineExtractor(embedder)
    before = Embedder.calls
    for path in files:
        meeting = read_meeting(path.read_bytes(), str(path), ReadOptions())
        items = extractor.extract(meeting)
        counting([item.statement for item in items])  # what pipeline._finish embeds
    embedder.embed = original  # type: ignore[method-assign]
    return [
        "offline extraction: texts asked / embedded",
        f"{asked} / {Embedder.calls - before}",
        f"{1 - (Embedder.calls - before) / max(asked, 1):.0%} not embedded again",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", nargs="?", default="all", choices=["all", "ingest", "raw"])
    parser.add_argument("--meetings", type=int, default=6)
    parser.add_argument("--sample", type=int, default=150)
    parser.add_argument("--before", type=Path, default=None, help="a checkout of the code before (default: none)")
    parser.add_argument("--vectors", type=Path)
    args = parser.parse_args()
    if args.step == "raw":
        # the code measured is the one on PYTHONPATH, not this tree (which common.py puts first)
        sys.path.remove(str(ROOT))
        raw(args)
        return
    files = meeting_files(args.meetings)
    texts = texts_of(files)
    print(f"machine: {os.cpu_count()} cores; {len(files)} meetings, {len(texts)} texts; load {load()}")
    if args.step == "all":
        sample = texts[:: max(1, len(texts) // args.sample)][: args.sample]
        print(f"\n1. the model's settings, {len(sample)} passages\n")
        print(table(["settings", "passages/s", "CPU ms/passage", "load before / after"], settings_rows(sample)))
        print("\n2. the parts of an ingest --no-extract, in process, this tree\n")
        print(table(["part", "seconds", "share", "notes"], parts_rows(files)))
    work = Path(tempfile.mkdtemp(prefix="embed_speed_", dir=CACHE if CACHE.exists() else None))
    try:
        codes = ([("before", args.before)] if args.before else []) + [("after", ROOT)]
        print("\n3. ingest --no-extract, new process, against the raw embedding of the same texts\n")
        headers = ["code", "raw passages/s", "ingest passages/s", "ingest / raw (wall)", "load"]
        print(table(headers, ingest_rows(files, args.meetings, codes, work)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(["what", "count", "notes"], [extraction_row(files)]))


if __name__ == "__main__":
    main()
