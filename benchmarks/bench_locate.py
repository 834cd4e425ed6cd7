"""Location accuracy and speed on the address set (benchmarks/address_set.py), side by side with
``jionlp.parse_location`` and ``cpca`` when they are installed (benchmark only:
``pip install jionlp cpca``; they are not dependencies of civicdesk).

    python -m benchmarks.bench_locate [--out FILE]

District accuracy is over the addresses with a true district; an outside parser's district is
right if it is the configured district or today's district of the street (the 2021
re-districting moved 下城区's streets to 拱墅区: both answers are true). Street accuracy is over
the addresses with a true street. For the addresses that must not resolve (other cities, the
districts outside the platform), "rejected" counts those given no configured street.
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.address_set import Address, build
from civicdesk.config.loader import read_config
from civicdesk.triage.locator import AreaInfo, Locator, PlacesConfig
from civicdesk.triage.places import PlacesFile


def civicdesk_locator() -> Locator:
    config = read_config("hangzhou")
    ids = {row.code: i + 1 for i, row in enumerate(config.areas)}
    areas = [
        AreaInfo(
            ids[row.code],
            row.code,
            row.values["name"],
            row.values["short_name"],
            row.values["level"],
            ids.get(row.parent) if row.parent else None,
        )
        for row in config.areas
    ]
    places = config.policies.get("places")
    return Locator(
        areas, PlacesFile.model_validate(places).as_config() if places else PlacesConfig()
    )


Answer = tuple[str | None, str | None]  # (district name, street name)


def ours() -> Callable[[str], Answer]:
    locator = civicdesk_locator()

    def answer(text: str) -> Answer:
        found = locator.locate(text)
        return (
            found.district.name if found.district else None,
            found.street.name if found.street else None,
        )

    return answer


def jionlp_parser() -> Callable[[str], Answer] | None:
    try:
        import jionlp
    except ImportError:
        return None

    def answer(text: str) -> Answer:
        r = jionlp.parse_location(text, town_village=True)
        return r.get("county"), r.get("town")

    return answer


def cpca_parser() -> Callable[[str], Answer] | None:
    try:
        import cpca
    except ImportError:
        return None

    def answer(text: str) -> Answer:
        frame = cpca.transform([text])
        district = frame["区"].iloc[0]
        return (district if isinstance(district, str) and district else None), None

    return answer


def score(addresses: list[Address], answer: Callable[[str], Answer]) -> dict[str, Any]:
    started = time.perf_counter()
    answers = [answer(a.text) for a in addresses]
    seconds = time.perf_counter() - started
    by_form: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    totals = [0, 0, 0, 0, 0, 0]  # district ok/n, street ok/n, rejected ok/n
    for a, (district, street) in zip(addresses, answers, strict=True):
        cell = by_form[a.form]
        if a.district is not None:
            ok = district in a.district_names
            totals[0] += ok
            totals[1] += 1
            cell[0] += ok
            cell[1] += 1
            good = street == a.street_name
            totals[2] += good
            totals[3] += 1
            cell[2] += good
            cell[3] += 1
        else:
            rejected = street is None
            totals[4] += rejected
            totals[5] += 1
            cell[2] += rejected
            cell[3] += 1
    return {
        "district_accuracy": round(totals[0] / totals[1], 4),
        "street_accuracy": round(totals[2] / totals[3], 4),
        "rejected": round(totals[4] / totals[5], 4) if totals[5] else None,
        "addresses_per_second": round(len(addresses) / seconds),
        "by_form": {
            form: {
                "district": round(c[0] / c[1], 4) if c[1] else None,
                "street_or_rejected": round(c[2] / c[3], 4) if c[3] else None,
                "n": c[3],
            }
            for form, c in sorted(by_form.items())
        },
    }


def speed(answer: Callable[[str], Answer], addresses: list[Address], repeat: int) -> dict:
    """Addresses a second by the wall clock and by the CPU time this process used: on a shared
    machine the second is what one core does (docs/benchmarks.md)."""
    texts = [a.text for a in addresses] * repeat
    wall, cpu = time.perf_counter(), time.process_time()
    for text in texts:
        answer(text)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"wall": round(len(texts) / wall), "cpu": round(len(texts) / cpu)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    addresses = build()
    results: dict[str, Any] = {"addresses": len(addresses)}
    parsers = {"civicdesk": ours(), "jionlp": jionlp_parser(), "cpca": cpca_parser()}
    for name, answer in parsers.items():
        if answer is None:
            results[name] = "not installed"
            continue
        results[name] = score(addresses, answer)
        if name == "cpca":  # it parses province, city and district only
            results[name]["street_accuracy"] = results[name]["rejected"] = None
        results[name]["addresses_per_second"] = speed(
            answer, addresses, 20 if name == "civicdesk" else 1
        )
        print(name, json.dumps({k: v for k, v in results[name].items() if k != "by_form"}))
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
