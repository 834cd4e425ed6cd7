"""Triage speed: one complaint (classify + locate + route) in-process, a batch, and training —
side by side with the baseline classifier (character 1–2-gram TF-IDF + linear SVM, scikit-learn).

    python -m benchmarks.bench_triage [--data CSV] [--out FILE]

The complaints are the real messages of ``../shared/data/messages/messages.csv`` when present
(texts only, kept in memory), each given an address of the address set so that the locator and
the router work too; without the file, made-up complaints of typical length. Training is timed
on 10,000 labelled complaints: the messages with the labels a first model gives them (the speed
of training depends on the size and the texts, not on where the labels come from).
"""

from __future__ import annotations

import argparse
import csv
import json
import platform
import random
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.address_set import build as addresses
from benchmarks.bench_locate import civicdesk_locator
from civicdesk.config.loader import read_config
from civicdesk.triage import classifier, evaluation
from civicdesk.triage.engine import CategoryInfo, Engine
from civicdesk.triage.lexicon import Lexicon
from civicdesk.triage.router import RoutingFile
from civicdesk.triage.service import _KIND_ORDER

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "messages"


def complaints(n: int) -> tuple[list[str], list[str]]:
    path = DATA / "messages.csv"
    if path.exists():
        with path.open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        titles, texts = [r["title"] for r in rows], [r["detail"] for r in rows]
    else:
        titles = ["小区门口乱停车"] * 100
        texts = ["每天晚上有车辆停在人行道上，堵住消防通道，请城管尽快处理。" * 8] * 100
    reps = n // len(titles) + 1
    return (titles * reps)[:n], (texts * reps)[:n]


def engine(model: classifier.TriageModel | None) -> Engine:
    config = read_config("hangzhou")
    rows = config.categories
    parents = {r.parent for r in rows}
    infos = {
        r.code: CategoryInfo(
            r.code, r.values["name"], r.parent, r.values["in_remit"], r.code not in parents
        )
        for r in rows
    }
    locator = civicdesk_locator()
    found: dict[str, list[tuple[int, int, str, str, str]]] = {}
    for unit in config.units:
        for code in unit.covers:
            for area in locator.areas.values():
                node, depth = area, 0
                while node is not None and node.code != code:
                    node, depth = locator.areas.get(node.parent_id or 0), depth + 1
                if node is not None:
                    kind = unit.values["kind"]
                    found.setdefault(area.code, []).append(
                        (_KIND_ORDER.get(kind, 9), depth, unit.code, kind, node.name)
                    )
    covering = {
        code: [(u, k, n) for _, _, u, k, n in sorted(units)] for code, units in found.items()
    }
    return Engine(
        categories=infos,
        lexicon=Lexicon.build({r.code: r.values["keywords"] for r in rows}),
        locator=locator,
        routing=RoutingFile.model_validate(config.policies.get("routing", {})),
        covering=covering,
        unit_names={u.code: u.values["name"] for u in config.units},
        model=model,
    )


def train_city_model() -> classifier.TriageModel:
    path = DATA / "city_dev.csv"
    config = read_config("hangzhou")
    lexicon = Lexicon.build({r.code: r.values["keywords"] for r in config.categories})
    if path.exists():
        data = evaluation.read_labelled(path)
        return classifier.train(data.titles, data.bodies, data.labels, lexicon=lexicon)
    titles, texts = complaints(200)
    labels = ["违法停车" if i % 2 else "生活噪声" for i in range(200)]
    return classifier.train(titles, texts, labels, lexicon=lexicon)


def one_by_one(
    triage: Engine, titles: list[str], texts: list[str], places: list[str]
) -> dict[str, float]:
    """Per complaint, by the wall clock and by this process's CPU time (on a shared machine the
    CPU time is what the work costs; the wall clock adds waiting for a core)."""
    wall, cpu = [], []
    for title, text, place in zip(titles, texts, places, strict=True):
        w, c = time.perf_counter(), time.process_time()
        triage.triage(title, text, place)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    out = {}
    for name, times in (("wall", sorted(wall)), ("cpu", sorted(cpu))):
        out[f"{name}_p50_ms"] = round(statistics.median(times) * 1000, 3)
        out[f"{name}_p99_ms"] = round(times[int(len(times) * 0.99)] * 1000, 3)
    return out


def batch(triage: Engine, titles: list[str], texts: list[str], places: list[str]) -> dict:
    """Batches of 5,000. The keyword memo (lexicon.py) is emptied before each batch: the
    messages repeat every 9,439, and answers remembered from an earlier batch would flatter
    the figure (within a batch, remembering is the engine's real behaviour)."""
    wall = cpu = 0.0
    for i in range(0, len(titles), 5000):
        triage.lexicon._memo.clear()
        if triage.model is not None:
            triage.model.lexicon._memo.clear()
        w, c = time.perf_counter(), time.process_time()
        triage.triage_many(titles[i : i + 5000], texts[i : i + 5000], places[i : i + 5000])
        wall, cpu = wall + time.perf_counter() - w, cpu + time.process_time() - c
    return {"wall": round(len(titles) / wall), "cpu": round(len(titles) / cpu)}


def baseline_batch(titles: list[str], texts: list[str], labels: list[str]) -> tuple[float, int]:
    data = evaluation.LabelledFile(titles, texts, labels, [str(i) for i in range(len(titles))])
    started = time.process_time()
    predict = evaluation.baseline_fitter(data)
    train_seconds = time.process_time() - started
    started = time.process_time()
    predict(data)
    return train_seconds, round(len(titles) / (time.process_time() - started))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--single", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=50000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    rng = random.Random(1)
    place_texts = [a.text for a in addresses()]
    model = train_city_model()
    results: dict[str, Any] = {
        "machine": f"{platform.processor() or platform.machine()}, {platform.python_version()}",
        "date": datetime.now(UTC).date().isoformat(),
        "messages": (DATA / "messages.csv").exists(),
    }
    for name, triage in (("model", engine(model)), ("cold_start", engine(None))):
        titles, texts = complaints(args.batch)
        places = [rng.choice(place_texts) for _ in titles]
        triage.triage(titles[0], texts[0], places[0])  # warm up
        single = one_by_one(
            triage, titles[: args.single], texts[: args.single], places[: args.single]
        )
        results[name] = {"single": single, "batch_per_second": batch(triage, titles, texts, places)}
        print(name, json.dumps(results[name]), flush=True)
    titles, texts = complaints(10000)
    labels = [p.label for p in model.predict_many(titles, texts)]
    lexicon = model.lexicon
    started, cpu = time.perf_counter(), time.process_time()
    classifier.train(titles, texts, labels, lexicon=lexicon)
    results["train_10000_seconds"] = {
        "wall": round(time.perf_counter() - started, 1),
        "cpu": round(time.process_time() - cpu, 1),
    }
    base_train, base_rate = baseline_batch(titles, texts, labels)
    results["baseline"] = {
        "train_10000_seconds": round(base_train, 1),
        "classify_per_second": base_rate,
    }
    model.lexicon._memo.clear()  # the labels above were found on the same texts
    started, cpu = time.perf_counter(), time.process_time()
    model.predict_many(titles, texts)
    results["model_classify_per_second"] = {
        "wall": round(len(titles) / (time.perf_counter() - started)),
        "cpu": round(len(titles) / (time.process_time() - cpu)),
    }
    print(json.dumps({k: v for k, v in results.items() if k not in ("model", "cold_start")}))
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
