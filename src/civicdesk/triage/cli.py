"""``civicdesk triage``: train and evaluate the classifier, register models, try the locator."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(no_args_is_help=True, help="Triage: classification, location, routing.")
console = Console()


def _categories(config: str, labels: list[str]) -> tuple[Any, dict[str, bool] | None]:
    """The lexicon and the remit of every label, from a configuration directory (no database
    needed) — when the labels are categories of its tree. Labels of another scheme (the seven
    departments) get no lexicon: the categories' keywords say nothing about them, and as
    features they only add noise (docs/triage.md)."""
    from civicdesk.config.loader import read_config
    from civicdesk.triage.lexicon import Lexicon

    rows = read_config(config).categories
    remit = {r.values["name"]: r.values["in_remit"] for r in rows}
    remit |= {r.code: r.values["in_remit"] for r in rows}
    if not set(labels) <= set(remit):
        return Lexicon.build({}), None
    return Lexicon.build({r.code: r.values["keywords"] for r in rows}), remit


def _fitter(lexicon: Any, unlabelled: Any, self_train: bool, body_chars: int | None = None) -> Any:
    from civicdesk.triage import classifier

    params = classifier.Params(
        self_training=self_train, body_chars=body_chars or classifier.BODY_CHARS
    )

    def fit(data: Any) -> Any:
        model = classifier.train(
            data.titles,
            data.bodies,
            data.labels,
            lexicon=lexicon,
            params=params,
            unlabelled=unlabelled,
            calibrate=False,
        )
        return lambda held: [p.label for p in model.predict_many(held.titles, held.bodies)]

    return fit


@app.command()
def train(
    data: Path | None = typer.Option(None, help="Labelled CSV: title, detail and a label column."),
    out: Path = typer.Option(..., help="Where to write the model file (.npz)."),
    label_column: str = typer.Option("label_zh", help="The label column of --data."),
    from_history: bool = typer.Option(
        False, "--from-history", help="Train on the complaints operators confirmed or corrected."
    ),
    unlabelled: Path | None = typer.Option(
        None, help="Unlabelled CSV (title, detail): fits the IDF, and self-training."
    ),
    self_train: bool = typer.Option(False, "--self-train", help="Self-training on --unlabelled."),
    body_chars: int | None = typer.Option(
        None, help="Characters of the body the model reads (default 150, docs/triage.md)."
    ),
    config: str = typer.Option("hangzhou", help="Configuration whose keywords are features."),
    activate: bool = typer.Option(False, help="Register the model and make it the active one."),
) -> None:
    """Train a classifier and write it to OUT (its version is printed and kept inside)."""
    from civicdesk.triage import classifier, evaluation

    if from_history:
        titles, bodies, labels = _history()
        source = "history"
    elif data is not None:
        labelled = evaluation.read_labelled(data, label_column=label_column)
        titles, bodies, labels, source = (
            labelled.titles,
            labelled.bodies,
            labelled.labels,
            data.name,
        )
    else:
        raise typer.BadParameter("give --data FILE or --from-history")
    lexicon, _ = _categories(config, labels)
    extra = None
    if unlabelled is not None:
        extra = evaluation.read_unlabelled(unlabelled, exclude=set())
    started = time.perf_counter()
    model = classifier.train(
        titles,
        bodies,
        labels,
        lexicon=lexicon,
        params=classifier.Params(
            self_training=self_train, body_chars=body_chars or classifier.BODY_CHARS
        ),
        unlabelled=extra,
        metadata={"source": source, "label_column": label_column},
    )
    version = model.save(out)
    seconds = time.perf_counter() - started
    console.print(
        f"[green]模型已保存[/green] {out} version={version} "
        f"({len(labels)} labelled, {len(model.classes)} classes, {seconds:.1f} s)"
    )
    if activate:
        _activate(out, source)


def _history() -> tuple[list[str], list[str], list[str]]:
    from civicdesk.db import get_engine, unit_of_work
    from civicdesk.triage.service import training_history

    with unit_of_work(get_engine()) as session:
        titles, bodies, labels = training_history(session)
    if len(set(labels)) < 2:
        raise typer.BadParameter("the history has fewer than two confirmed categories")
    return titles, bodies, labels


def _activate(path: Path, source: str = "") -> None:
    from civicdesk.clock import SystemClock
    from civicdesk.db import get_engine, unit_of_work
    from civicdesk.triage.service import register_model

    with unit_of_work(get_engine()) as session:
        row = register_model(session, path, activate=True, now=SystemClock().now(), source=source)
        version = row.version
    console.print(f"[green]已启用模型[/green] {version}")


@app.command()
def activate(model: Path) -> None:
    """Register MODEL and make it the active classifier (the cold start ends)."""
    _activate(model)


@app.command()
def evaluate(
    data: Path = typer.Option(..., help="Labelled CSV: title, detail and a label column."),
    model: Path | None = typer.Option(None, help="A model file to evaluate on --data."),
    cv: int = typer.Option(0, help="K-fold cross-validation on --data instead of --model."),
    label_column: str = typer.Option("label_zh", help="The label column of --data."),
    unlabelled: Path | None = typer.Option(
        None, help="Unlabelled CSV for the IDF (and --self-train); --data's ids are left out."
    ),
    self_train: bool = typer.Option(False, "--self-train"),
    body_chars: int | None = typer.Option(
        None, help="Characters of the body the model reads (default 150, docs/triage.md)."
    ),
    seed: int = typer.Option(0, help="The folds' random seed."),
    config: str = typer.Option("hangzhou", help="Configuration: keywords and remit of labels."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Per-class precision/recall/F1, macro-F1, accuracy and (city task) the remit F1."""
    from civicdesk.triage import classifier, evaluation

    labelled = evaluation.read_labelled(data, label_column=label_column)
    lexicon, remit_of = _categories(config, labelled.labels)
    if cv:
        extra = (
            evaluation.read_unlabelled(unlabelled, exclude=set(labelled.ids))
            if unlabelled
            else None
        )
        started = time.perf_counter()
        predicted = evaluation.cross_validate(
            labelled,
            {
                "model": _fitter(lexicon, extra, self_train, body_chars),
                "baseline": evaluation.baseline_fitter,
            },
            folds=cv,
            seed=seed,
        )
        result = evaluation.report(labelled.labels, predicted["model"], remit=remit_of)
        result["baseline"] = evaluation.report(
            labelled.labels, predicted["baseline"], remit=remit_of
        )
        result["cv"] = {"folds": cv, "seed": seed, "seconds": round(time.perf_counter() - started)}
    elif model is not None:
        trained = classifier.TriageModel.load(model)
        guesses = [p.label for p in trained.predict_many(labelled.titles, labelled.bodies)]
        result = evaluation.report(labelled.labels, guesses, remit=remit_of)
        result["model_version"] = trained.version
    else:
        raise typer.BadParameter("give --model MODEL or --cv K")
    if as_json:
        typer.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_report(result)


def _print_report(result: dict[str, Any]) -> None:
    baseline = result.get("baseline")
    table = Table(title="triage evaluate")
    for column in ("class", "support", "P", "R", "F1", *(("baseline F1",) if baseline else ())):
        table.add_column(column, justify="left" if column == "class" else "right")
    for label, row in sorted(result["per_class"].items(), key=lambda kv: -kv[1]["support"]):
        cells = [label, str(row["support"]), f"{row['precision']:.3f}", f"{row['recall']:.3f}"]
        cells.append(f"{row['f1']:.3f}")
        if baseline:
            cells.append(f"{baseline['per_class'].get(label, {}).get('f1', 0):.3f}")
        table.add_row(*cells)
    console.print(table)
    for key, name in (
        ("macro_f1", "macro-F1 (all classes)"),
        ("macro_f1_enough", f"macro-F1 (classes with ≥{result['enough_examples']} examples)"),
        ("accuracy", "accuracy"),
        ("remit_f1", "remit F1 (城管事项 positive)"),
    ):
        if result.get(key) is None:
            continue
        line = f"{name}: {result[key]:.3f}"
        if baseline and baseline.get(key) is not None:
            line += f"   baseline: {baseline[key]:.3f}"
        console.print(line)


@app.command()
def locate(text: str) -> None:
    """Where TEXT is: district → street → community, and what could not be resolved."""
    from civicdesk.db import get_engine, unit_of_work
    from civicdesk.triage.service import engine

    with unit_of_work(get_engine()) as session:
        found = engine(session).locator.locate(text)
    typer.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=2))


@app.command()
def suggest(text: str, title: str = "", address: str = "") -> None:
    """Classify, locate and route one complaint (nothing is written)."""
    from civicdesk.db import get_engine, unit_of_work
    from civicdesk.triage.service import engine

    with unit_of_work(get_engine()) as session:
        triage_engine = engine(session)
        result = triage_engine.triage(title or None, text, address or None)
        typer.echo(json.dumps(result.as_dict(triage_engine), ensure_ascii=False, indent=2))
