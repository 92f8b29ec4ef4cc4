"""The export readers on realistic text: which PDF library, and what each format costs.

    python bench/formats.py [--meetings 12]

The text is the QMSum val meetings (real meeting transcripts, as bench/common.py converts them),
each written as a note-taker would export it: a PDF transcript ("Name  00:01:23" then the words,
wrapped, a "Page n of m" footer; fpdf2, Latin-1 core font), an HTML page (one paragraph per turn)
and a Fireflies JSON transcript, with tests/exportkit.py's writers.

1. PDF libraries (pypdf, pypdfium2, pdfminer.six) on the same PDFs: pages per second, and text
   quality: the share of the written lines found exactly as an extracted line (whitespace
   collapsed), and the word F1 (multisets of words, written against extracted).
2. synth's readers: pages/s for PDF, MB/s for HTML, JSON and the same text as Markdown, and each
   one's time per meeting against Markdown's (the ratio).
3. Many turns: a JSON turn list (its texts written with `\\/`, `\\u00E9` and a surrogate pair) against
   the same turns as Markdown, at 10,000 and 40,000 turns: seconds, and the growth from 10k to 40k
   (4.0 is linear). `--turns-only` runs this part alone.
4. A 200-page PDF: reading it against chunking + embedding its passages with the MiniLM model
   (the rest of an ingest): the share of the ingest the PDF reader takes.
"""

from __future__ import annotations

import argparse
import io
import re
import time
from collections import Counter
from pathlib import Path

from common import ROOT, Timer, qmsum_val_markdown, table

from synth.chunker import chunk_meeting, embedding_text
from synth.readers import ReadOptions, read_meeting
from tests import exportkit


def latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def meetings(limit: int) -> list[tuple[str, list[tuple[str | None, str]]]]:
    folder = qmsum_val_markdown()
    found = []
    for path in sorted(folder.glob("*.md"))[:limit]:
        meeting = read_meeting(path.read_bytes(), str(path), ReadOptions(), mtime=0.0)
        found.append((path.stem, [(t.speaker, latin(t.text)) for t in meeting.turns]))
    return found


def pdf_of(turns: list[tuple[str | None, str]]) -> tuple[bytes, list[list[str]]]:
    stamped = [
        (s or "Speaker 1", f"{i // 3600:02d}:{i // 60 % 60:02d}:{i % 60:02d}", t) for i, (s, t) in enumerate(turns)
    ]
    pages = exportkit.transcript_pages(["Meeting transcript"], stamped, per_page=48, footer="Page {n} of {total}")
    return exportkit.pdf_bytes(pages), pages


def extract(library: str, data: bytes) -> list[str]:
    """Each page's text, one string per page."""
    if library == "pypdf":
        from pypdf import PdfReader

        return [page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages]
    if library == "pypdfium2":
        import pypdfium2

        document = pypdfium2.PdfDocument(data)
        try:
            return [document[i].get_textpage().get_text_range() for i in range(len(document))]
        finally:
            document.close()
    from pdfminer.high_level import extract_text

    return extract_text(io.BytesIO(data)).split("\f")


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\S+", text))


def quality(written: list[list[str]], pages: list[str]) -> tuple[float, float]:
    truth = [" ".join(line.split()) for page in written for line in page if line.strip()]
    got = {" ".join(line.split()) for page in pages for line in page.splitlines() if line.strip()}
    lines = sum(1 for line in truth if line in got) / len(truth)
    want, have = words(" ".join(truth)), words(" ".join(pages))
    common = sum((want & have).values())
    precision, recall = common / max(sum(have.values()), 1), common / max(sum(want.values()), 1)
    return lines, 2 * precision * recall / max(precision + recall, 1e-9)


def compare_libraries(pdfs: list[tuple[bytes, list[list[str]]]]) -> None:
    rows = []
    total_pages = sum(len(p) for _, p in pdfs)
    for library in ("pypdf", "pypdfium2", "pdfminer.six"):
        lines, f1 = [], []
        with Timer() as timer:
            results = [extract(library, data) for data, _ in pdfs]
        for (_, written), pages in zip(pdfs, results):
            a, b = quality(written, pages)
            lines.append(a)
            f1.append(b)
        rows.append(
            [
                library,
                total_pages,
                f"{total_pages / timer.seconds:.0f}",
                f"{100 * sum(lines) / len(lines):.1f}%",
                f"{sum(f1) / len(f1):.4f}",
            ]
        )
    print("PDF libraries on the same transcript PDFs")
    print(table(["library", "pages", "pages/s", "lines exact", "word F1"], rows))


def justified_pdf(turns: list[tuple[str | None, str]]) -> tuple[bytes, str]:
    """Notes as a word processor lays them out: justified paragraphs (word spacing stretched),
    a bold speaker name, two fonts. Only the words are known, not where lines break."""
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.add_page()
    written = []
    for speaker, text in turns:
        if speaker:
            pdf.set_font("Helvetica", style="B", size=10)
            pdf.cell(0, 6, speaker, new_x="LMARGIN", new_y="NEXT")
            written.append(speaker)
        pdf.set_font("Times", size=11)
        pdf.multi_cell(0, 5, text, align="J", new_x="LMARGIN", new_y="NEXT")
        written.append(text)
    return bytes(pdf.output()), " ".join(written)


def compare_on_other_layouts(corpus) -> None:
    """Justified notes (words known), and the real PDFs on this machine (no ground truth: the
    share of run-together tokens of 25+ characters, and agreement with the other two libraries)."""
    justified = [justified_pdf(turns[:120]) for _, turns in corpus[:4]]
    real = [
        p
        for p in (
            Path("/usr/share/doc/libtasn1-doc/libtasn1.pdf"),
            Path("/usr/share/doc/shared-mime-info/shared-mime-info-spec.pdf"),
        )
        if p.exists()
    ]
    libraries = ("pypdf", "pypdfium2", "pdfminer.six")
    rows = []
    outputs: dict[str, list[str]] = {}
    for library in libraries:
        with Timer() as timer:
            pages = [extract(library, data) for data, _ in justified]
        f1s = []
        for (_, truth), got in zip(justified, pages):
            want, have = words(truth), words(" ".join(got))
            common = sum((want & have).values())
            precision, recall = common / max(sum(have.values()), 1), common / max(sum(want.values()), 1)
            f1s.append(2 * precision * recall / max(precision + recall, 1e-9))
        count = sum(len(p) for p in pages)
        real_pages, real_text = 0, []
        with Timer() as real_timer:
            for path in real:
                got = extract(library, path.read_bytes())
                real_pages += len([g for g in got if g.strip()])
                real_text.append(" ".join(got))
        outputs[library] = real_text
        tokens = [t for text in real_text for t in text.split()]
        long = sum(1 for t in tokens if len(t) >= 25 and t.isalpha())
        rows.append(
            [
                library,
                f"{count / timer.seconds:.0f}",
                f"{sum(f1s) / len(f1s):.4f}",
                real_pages,
                f"{real_pages / max(real_timer.seconds, 1e-9):.0f}",
                f"{100 * long / max(len(tokens), 1):.2f}%",
            ]
        )
    for row, library in zip(rows, libraries):
        others = [o for o in libraries if o != library]
        mine = words(" ".join(outputs[library]))
        agree = []
        for other in others:
            theirs = words(" ".join(outputs[other]))
            common = sum((mine & theirs).values())
            agree.append(2 * common / max(sum(mine.values()) + sum(theirs.values()), 1))
        row.append(f"{sum(agree) / len(agree):.3f}")
    names = ", ".join(p.name for p in real)
    print(f"\nJustified notes ({len(justified)} PDFs, words known) and {len(real)} real PDFs of this machine ({names})")
    print(
        table(
            [
                "library",
                "justified pages/s",
                "justified word F1",
                "real pages",
                "real pages/s",
                "run-together words",
                "agreement",
            ],
            rows,
        )
    )


def best_of(runs: int, work) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - started)
    return best


def compare_formats(corpus, pdfs) -> None:
    options = ReadOptions()
    files: dict[str, list[tuple[str, bytes]]] = {"markdown": [], "pdf": [], "html": [], "fireflies json": []}
    for (name, turns), (pdf, _) in zip(corpus, pdfs):
        files["markdown"].append((f"{name}.md", "\n\n".join(f"**{s}:** {t}" if s else t for s, t in turns).encode()))
        files["pdf"].append((f"{name}.pdf", pdf))
        files["html"].append((f"{name}.html", exportkit.turns_html(turns)))
        sentences = [(s or "Speaker 1", float(i), float(i) + 1, t) for i, (s, t) in enumerate(turns)]
        files["fireflies json"].append(
            (f"{name}.json", exportkit.fireflies_json(name, 1773327600000, [], sentences).encode())
        )
    pages = sum(len(p) for _, p in pdfs)
    seconds = {}
    rows = []
    for fmt, items in files.items():
        seconds[fmt] = best_of(3, lambda items=items: [read_meeting(d, n, options, mtime=0.0) for n, d in items])
        size = sum(len(d) for _, d in items) / 1e6
        speed = f"{pages / seconds[fmt]:.0f} pages/s" if fmt == "pdf" else f"{size / seconds[fmt]:.1f} MB/s"
        rows.append([fmt, len(items), f"{size:.2f}", f"{seconds[fmt]:.3f}", speed, ""])
    for row in rows:
        row[-1] = f"{seconds[row[0]] / seconds['markdown']:.1f}x"
    print(f"\nsynth's readers on the same {len(corpus)} meetings ({pages} PDF pages), best of 3")
    print(table(["format", "files", "MB", "seconds", "speed", "time vs markdown"], rows))


def many_turns_files(count: int) -> dict[str, tuple[str, bytes]]:
    said = "the export says caf\\u00E9 and\\/or \\ud83d\\ude00 to turn {}"
    rows = ",\n".join(f'{{"speaker": "P{i % 5}", "text": "{said.format(i)}"}}' for i in range(count))
    markdown = "\n\n".join(f"**P{i % 5}:** " + said.format(i) for i in range(count))
    return {"json": ("turns.json", f"[\n{rows}\n]\n".encode()), "markdown": ("turns.md", markdown.encode())}


def many_turns() -> None:
    options = ReadOptions()
    seconds: dict[tuple[str, int], float] = {}
    for count in (10_000, 40_000):
        for fmt, (name, data) in many_turns_files(count).items():
            seconds[fmt, count] = best_of(2, lambda n=name, d=data: read_meeting(d, n, options, mtime=0.0))
    rows = []
    for fmt in ("json", "markdown"):
        small, large = seconds[fmt, 10_000], seconds[fmt, 40_000]
        rows.append([fmt, f"{small:.2f}", f"{large:.2f}", f"{large / small:.1f}"])
    print("\nMany turns, one file, best of 2 (growth 4.0 is linear)")
    print(table(["format", "10k turns s", "40k turns s", "growth"], rows))


def two_hundred_pages(corpus) -> None:
    turns: list[tuple[str | None, str]] = []
    pdf, written = pdf_of(turns)
    for _, more in corpus * 20:
        turns.extend(more)
        pdf, written = pdf_of(turns)
        if len(written) >= 200:
            break
    while len(written) > 200:  # trim to 200 pages
        turns = turns[: int(len(turns) * 200 / len(written))]
        pdf, written = pdf_of(turns)
    with Timer() as reading:
        meeting = read_meeting(pdf, "two-hundred.pdf", ReadOptions(), mtime=0.0)
    from synth.embeddings import MiniLMEmbedder

    embedder = MiniLMEmbedder()
    embedder.embed(["warm up"])
    with Timer() as rest:
        passages = chunk_meeting(meeting)
        embedder.embed([embedding_text(p.text) for p in passages] + [meeting.title])
    share = reading.seconds / (reading.seconds + rest.seconds)
    print(f"\nA {len(written)}-page PDF ({len(meeting.turns)} turns, {len(passages)} passages)")
    print(
        table(
            ["step", "seconds", "share of ingest"],
            [
                ["read the PDF (pypdf + synth)", f"{reading.seconds:.2f}", f"{100 * share:.1f}%"],
                ["chunk + embed (MiniLM)", f"{rest.seconds:.2f}", f"{100 * (1 - share):.1f}%"],
            ],
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--meetings", type=int, default=12)
    parser.add_argument("--skip-embedding", action="store_true", help="leave out the 200-page PDF against embedding")
    parser.add_argument("--turns-only", action="store_true", help="only JSON against Markdown at 10k and 40k turns")
    args = parser.parse_args()
    if args.turns_only:
        many_turns()
        return
    corpus = meetings(args.meetings)
    pdfs = [pdf_of(turns) for _, turns in corpus]
    compare_libraries(pdfs)
    compare_on_other_layouts(corpus)
    compare_formats(corpus, pdfs)
    many_turns()
    if not args.skip_embedding:
        two_hundred_pages(corpus)


if __name__ == "__main__":
    assert (ROOT / "synth").is_dir() and Path(__file__).parent.name == "bench"
    main()
