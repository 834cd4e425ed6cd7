"""Repeat detection on real data: the message board (messages.csv), New York 311 (a day of
February 2023, resolution texts naming duplicates) and Baltimore 311 (duplicate statuses).

Each file is imported into a fresh SQLite database through ``import_file`` with a column
mapping (as ``civicdesk import --map`` does), the repeat check runs as for any import, and the
links are compared with what the data says:

- messages: no labels; same-title reposts and same-user pairs as reference points, and samples
  of hits and misses;
- NYC / Baltimore: a request the city marked duplicate should be linked to an earlier one
  (recall on the labelled duplicates); links to requests the city did not mark are listed
  (not all agencies mark duplicates, so that share is an upper bound of false links).

    python -m benchmarks.repeats_real_data [--data ../shared/data] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

import civicdesk.models  # noqa: F401  (every table on the metadata)
from civicdesk.config.loader import load_config
from civicdesk.db import Base, make_engine
from civicdesk.intake.importing import import_file
from civicdesk.intake.importing.mapping import ColumnMap
from civicdesk.intake.models import Complaint
from civicdesk.migrate import upgrade
from civicdesk.repeats import context
from civicdesk.repeats.models import RepeatLink

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 27, tzinfo=UTC)
US_TIME = "%m/%d/%Y %I:%M:%S %p"


def fresh(workdir: Path, name: str, config: str | Path) -> Session:
    path = workdir / f"{name}.db"
    path.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    Base.metadata.create_all(engine)  # tables of work in progress not yet in a migration
    session = Session(engine)
    load_config(session, config)
    session.commit()
    context.clear_cache()
    return session


def links_by_ref(session: Session) -> dict[str, tuple[str, str, float, str, dict[str, Any]]]:
    """complaint ref → (earlier ref, kind, score, status, explanation)"""
    refs = dict(session.execute(select(Complaint.id, Complaint.upstream_ref)).all())
    return {
        refs[link.complaint_id]: (
            refs[link.earlier_id],
            link.kind,
            link.score,
            link.status,
            link.explanation,
        )
        for link in session.scalars(select(RepeatLink))
    }


def why(explanation: dict[str, Any]) -> str:
    return "；".join(s["why"] for s in explanation.get("signals", {}).values())


# ---- messages ---------------------------------------------------------------------------------


def messages(data: Path, workdir: Path) -> dict[str, Any]:
    session = fresh(workdir, "messages", "hangzhou")
    mapping = ColumnMap.parse(
        [
            "received_at=time",
            "text=title+detail",
            "title=title",
            "complainant_name=user",
            "upstream_ref=mid",
        ]
    )
    source = data / "messages" / "messages.csv"
    report = import_file(
        session, source, now=NOW, channel="web", mapping=mapping, skip_invalid=True
    )
    session.commit()
    found = links_by_ref(session)
    rows = {r["mid"]: r for r in csv.DictReader(source.open(encoding="utf-8"))}
    by_title: dict[str, list[str]] = {}
    for mid, r in rows.items():
        by_title.setdefault(r["title"].strip(), []).append(mid)
    reposts = [mids for mids in by_title.values() if len(mids) > 1]
    linked_reposts = sum(
        1 for mids in reposts if any(m in found and found[m][0] in mids for m in mids)
    )
    same_user = sum(1 for m, f in found.items() if rows[m]["user"] == rows[f[0]]["user"])
    rng = random.Random(4)
    hits = rng.sample(sorted(found), min(8, len(found)))
    misses = [mids for mids in reposts if not any(m in found for m in mids)]
    return {
        "imported": report.imported,
        "failed": report.failed,
        "links": len(found),
        "by_kind": dict(Counter(f[1] for f in found.values())),
        "confirmed": sum(1 for f in found.values() if f[3] == "confirmed"),
        "links_same_user": same_user,
        "same_title_groups": len(reposts),
        "same_title_groups_linked": linked_reposts,
        "hits": [
            {
                "later": f"{rows[m]['user']} {rows[m]['time']} {rows[m]['title'][:40]}",
                "earlier": f"{rows[found[m][0]]['user']} {rows[found[m][0]]['time']} "
                f"{rows[found[m][0]]['title'][:40]}",
                "kind": found[m][1],
                "score": found[m][2],
                "why": why(found[m][4]),
            }
            for m in hits
        ],
        "missed_same_title": [
            [f"{rows[m]['user']} {rows[m]['time']} {rows[m]['title'][:40]}" for m in mids]
            for mids in misses[:8]
        ],
    }


# ---- US 311 ----------------------------------------------------------------------------------


def us_config(workdir: Path, name: str, types: list[str], bounds: str) -> Path:
    """A small configuration: one area, one unit, one channel, the file's request types as
    categories under one group (their names are the types as the file writes them)."""
    directory = workdir / f"config-{name}"
    directory.mkdir(exist_ok=True)
    files = {
        "city": {
            "root": {"code": "US", "name": name, "short_name": name},
            "settings": {"repeats.bounds": bounds, "case_number_prefix": "US"},
        },
        "areas": {"districts": [{"code": "D1", "name": f"{name} city"}]},
        "units": {"units": [{"code": "u311", "name": "311", "kind": "centre"}]},
        "categories": {
            "categories": [
                {
                    "code": "requests",
                    "name": "311 requests",
                    "children": [
                        {"code": f"t{i:03d}", "name": t[:100]} for i, t in enumerate(types)
                    ],
                }
            ]
        },
        "channels": {"channels": [{"code": "311", "name": "311", "kind": "hotline"}]},
    }
    for kind, document in files.items():
        (directory / f"{kind}.yaml").write_text(yaml.safe_dump(document, allow_unicode=True))
    return directory


def us311(
    data: Path,
    workdir: Path,
    *,
    name: str,
    file: str,
    ref: str,
    type_column: str,
    columns: list[str],
    bounds: str,
    duplicate: Any,
) -> dict[str, Any]:
    source = data / "us311" / file
    rows = list(csv.DictReader(source.open(encoding="utf-8")))
    types = sorted({r[type_column].strip() for r in rows if r[type_column].strip()})
    session = fresh(workdir, name, us_config(workdir, name, types, bounds))
    mapping = ColumnMap.parse([f"upstream_ref={ref}", *columns], time_format=US_TIME)
    report = import_file(
        session, source, now=NOW, channel="311", mapping=mapping, skip_invalid=True
    )
    session.commit()
    found = links_by_ref(session)
    labelled = {r[ref] for r in rows if duplicate(r)}
    imported = {r[ref] for r in rows} - {e.row for e in report.errors}  # type: ignore[comparison-overlap]
    agree = sorted(labelled & set(found))
    missed = sorted(labelled - set(found))
    unlabelled_links = sorted(set(found) - labelled)
    by_ref = {r[ref]: r for r in rows}

    def show(key: str) -> str:
        r = by_ref[key]
        return " | ".join(str(r.get(c.split("=")[1].split("+")[0], ""))[:40] for c in columns[:3])

    return {
        "rows": len(rows),
        "imported": report.imported,
        "failed": report.failed,
        "labelled_duplicates": len(labelled),
        "links": len(found),
        "by_kind": dict(Counter(f[1] for f in found.values())),
        "labelled_and_linked": len(agree),
        "recall_on_labelled": round(len(agree) / len(labelled), 4) if labelled else None,
        "links_not_labelled": len(unlabelled_links),
        "share_of_links_labelled": round(len(agree) / len(found), 4) if found else None,
        "hits": [f"{show(k)}  →  {show(found[k][0])}  ({why(found[k][4])})" for k in agree[:5]],
        "misses": [show(k) for k in missed[:5]],
        "unlabelled_link_examples": [
            f"{show(k)}  →  {show(found[k][0])}  ({why(found[k][4])})" for k in unlabelled_links[:5]
        ],
        "_imported_keys": len(imported),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/repeats_real.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        result = {
            "messages": messages(args.data, workdir),
            "nyc_2023": us311(
                args.data,
                workdir,
                name="nyc",
                file="nyc311_2023feb_sample_4999.csv",
                ref="Unique Key",
                type_column="Complaint Type",
                columns=[
                    "text=Complaint Type+Descriptor",
                    "address=Incident Address",
                    "category=Complaint Type",
                    "received_at=Created Date",
                    "latitude=Latitude",
                    "longitude=Longitude",
                ],
                bounds="-74.30,40.45,-73.65,40.95",
                duplicate=lambda r: "duplicate" in r["Resolution Description"].lower(),
            ),
            "baltimore": us311(
                args.data,
                workdir,
                name="baltimore",
                file="baltimore_311_sample_10k.csv",
                ref="ServiceRequestNum",
                type_column="SRType",
                columns=[
                    "text=SRType",
                    "address=Address",
                    "category=SRType",
                    "received_at=CreatedDate",
                    "latitude=Latitude",
                    "longitude=Longitude",
                ],
                bounds="-76.72,39.19,-76.52,39.38",
                duplicate=lambda r: bool(re.search(r"duplicate", r["SRStatus"], re.I)),
            ),
        }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, ensure_ascii=False, indent=2)
    args.out.write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
