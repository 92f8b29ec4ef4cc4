"""Train the offline extractor's classifier on the AMI train meetings and tune its thresholds.

    python bench/train_offline.py

Labels: a dialogue act is a decision, action or roadblock when the AMI annotator linked it to a
decision, action or problem sentence (action wins over decision over roadblock); every other
dialogue act of at least five words is "none" (a random sample of them). Features are the ones
synth computes at run time (synth/offline.py: embedding, cue phrases, position, length).
Thresholds are then tuned per kind, with the bench matcher, on train meetings held out of the
fit. The val meetings are never seen here; bench/extraction.py scores on them.
"""

from __future__ import annotations

import json
import random
import sys
import time

import numpy as np
from ami import KINDS, gold, markdown, prf, score, summaries, turn_of_line
from common import EVALDATA, ROOT, table

from synth.embeddings import get_embedder
from synth.offline import CLASSES, MIN_WORDS, MODEL_FILE, OfflineExtractor, clean, features

NEGATIVES = 30000
EPOCHS = 400


def main() -> None:
    random.seed(7)
    train = summaries("train")
    ids = sorted(r["meeting_id"] for r in train)
    held_out = set(ids[::6])
    fit_ids = [m for m in ids if m not in held_out]
    by_id = {r["meeting_id"]: r for r in train}
    acts = {}
    for line in (EVALDATA / "ami" / "derived" / "ami_dialogue_acts.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["meeting_id"] in fit_ids:
            acts[row["meeting_id"]] = row["dialogue_acts"]

    texts, positions, labels = [], [], []
    for meeting_id in fit_ids:
        summary = by_id[meeting_id]
        label_of = {}
        for key, kind in (("problems", "roadblock"), ("decisions", "decision"), ("actions", "action")):
            for item in summary[key]:
                for da in item["linked_dialogue_act_ids"]:
                    label_of[da] = kind
        das = acts.get(meeting_id, [])
        for index, da in enumerate(das):
            text = clean(da["text"])
            if len(text.split()) < MIN_WORDS:
                continue
            texts.append(text)
            positions.append(index / max(1, len(das) - 1))
            labels.append(CLASSES.index(label_of.get(da["id"], "none")))
    labels_arr = np.array(labels)
    keep = [i for i in range(len(texts)) if labels[i] != 0]
    negatives = [i for i in range(len(texts)) if labels[i] == 0]
    keep += random.sample(negatives, min(NEGATIVES, len(negatives)))
    counts = ", ".join(f"{c}={int((labels_arr[keep] == i).sum())}" for i, c in enumerate(CLASSES))
    print(
        f"{len(fit_ids)} fit meetings, {len(held_out)} held out; {len(texts)} dialogue acts of 5+ words; "
        f"training on {len(keep)} ({counts})"
    )

    embedder = get_embedder("minilm")
    started = time.perf_counter()
    vectors = embedder.embed([texts[i] for i in keep])
    print(f"embedded {len(keep)} in {time.perf_counter() - started:.0f} s")
    x = np.array([features(v, texts[i], positions[i]) for v, i in zip(vectors, keep)], dtype=np.float32)
    y = labels_arr[keep]
    weights = fit(x, y)

    MODEL_FILE.parent.mkdir(exist_ok=True)
    model = {
        "classes": list(CLASSES),
        "trained_on": f"AMI train, {len(fit_ids)} meetings",
        "weights": np.round(weights, 5).tolist(),
        "thresholds": {k: 0.5 for k in KINDS},
    }
    MODEL_FILE.write_text(json.dumps(model))
    from synth import offline

    offline.load_model.cache_clear()
    thresholds = tune(sorted(held_out), by_id, embedder)
    model["thresholds"] = thresholds
    MODEL_FILE.write_text(json.dumps(model))
    print(f"wrote {MODEL_FILE.relative_to(ROOT)}; thresholds {thresholds}")


def fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-3, rate: float = 0.05) -> np.ndarray:
    """Softmax regression by full-batch Adam, classes weighted by 1/sqrt(frequency)."""
    n, d = x.shape
    k = len(CLASSES)
    counts = np.bincount(y, minlength=k).astype(np.float32)
    class_weight = (counts.sum() / np.maximum(counts, 1)) ** 0.5
    sample_weight = class_weight[y] / class_weight[y].mean()
    onehot = np.eye(k, dtype=np.float32)[y]
    w = np.zeros((d, k), dtype=np.float32)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for step in range(1, EPOCHS + 1):
        logits = x @ w
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = x.T @ ((p - onehot) * sample_weight[:, None]) / n + l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad * grad
        w -= rate * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
        if step % 100 == 0:
            loss = -(np.log(p[np.arange(n), y] + 1e-9) * sample_weight).mean()
            print(f"  step {step}: loss {loss:.4f}")
    return w


def tune(meeting_ids: list[str], by_id: dict, embedder) -> dict[str, float]:
    """Per kind, the threshold with the best F1 on the held-out meetings."""
    folder = markdown("train", meeting_ids)
    from synth.readers import ReadOptions, read_meeting

    extractor = OfflineExtractor(embedder, thresholds={k: 0.5 for k in KINDS})
    scored = []
    for meeting_id in meeting_ids:
        path = folder / f"{meeting_id}.md"
        meeting = read_meeting(path.read_bytes(), str(path), ReadOptions(), identity=str(path), fmt="md", mtime=None)
        found, probs, _ = extractor.scores(meeting)
        scored.append((meeting_id, probs, [(c[4], c[5]) for c in found]))
    best = {}
    rows = []
    for ki, kind in enumerate(KINDS, start=1):
        results = []
        for threshold in np.arange(0.3, 0.96, 0.025):
            total = [0, 0, 0, 0]
            for meeting_id, probs, lines in scored:
                preds = [
                    (kind, s, e)
                    for p, (s, e) in zip(probs, lines)
                    if int(p[1:].argmax()) + 1 == ki and p[ki] >= threshold
                ]
                counts = score(preds, gold(by_id[meeting_id]), turn_of_line(folder, meeting_id))[kind]
                total = [a + b for a, b in zip(total, counts)]
            results.append((prf(total)[2], float(threshold), total))
        f1, threshold, total = max(results)
        best[kind] = round(threshold, 3)
        p, r, f = prf(total)
        rows.append([kind, f"{threshold:.3f}", f"{p:.1f}", f"{r:.1f}", f"{f:.1f}"])
    print(table(["kind (held-out train)", "threshold", "P", "R", "F1"], rows))
    return best


if __name__ == "__main__":
    sys.exit(main())
