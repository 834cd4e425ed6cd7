"""Regenerate ``areas.yaml`` and ``units.yaml`` of the shipped Hangzhou configuration.

The facts come from two CSV files (see ``src/civicdesk/configs/hangzhou/README.md``):
``streets_2020.csv`` (code,name,district_code,district — official 2020 codes) and
``communities_current.csv`` (district,district_code,street,community — names only, by the
districts of after April 2021). Communities are matched to the 2020 streets by street name and
get generated codes: the street code plus a 3-digit sequence in file order.

The rest (the scenic area's offices, populations, city departments) is written below by hand.
``city.yaml``, ``categories.yaml`` and ``channels.yaml`` are maintained by hand, not generated.

    python tools/build_hangzhou_config.py [DATA_DIR] [OUT_DIR]
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from pathlib import Path

import yaml

DATA_DIR = Path("/work/shared/data/hangzhou")
OUT_DIR = Path(__file__).resolve().parents[1] / "src/civicdesk/configs/hangzhou"

ROOT = "330100"
CENTRE = "centre-96310"
DISTRICT_SHORT = {
    "上城区": "上城",
    "下城区": "下城",
    "江干区": "江干",
    "拱墅区": "拱墅",
    "西湖区": "西湖",
}
# 2010 census (第六次全国人口普查) resident population by district.
POPULATION = {
    "330102": 344594,
    "330103": 526096,
    "330104": 998853,
    "330105": 551671,
    "330106": 820018,
}
SCENIC = {
    "code": "330100-xhfjq",
    "name": "西湖风景名胜区",
    "short_name": "西湖风景名胜区",
    "government": "杭州西湖风景名胜区管理委员会",
    "bureau": "西湖风景名胜区城管执法局",
    # The management offices (管理处) of the scenic area, used as its street-level areas.
    # Not official divisions: codes are generated; see the README.
    "offices": [
        ("hb", "湖滨管理处"),
        ("bs", "北山管理处"),
        ("ly", "灵隐管理处"),
        ("hg", "花港管理处"),
        ("qj", "钱江管理处"),
        ("yhs", "玉皇山管理处"),
        ("sy", "西湖水域管理处"),
    ],
}
# City departments that receive complaints outside the enforcement line (names of 2011, the
# source's year). They cover the whole main urban area.
DEPARTMENTS = [
    ("dept-gardens", "杭州市园林文物局"),
    ("dept-construction", "杭州市城乡建设委员会"),
    ("dept-traffic-police", "杭州市公安局交通警察支队"),
    ("dept-environment", "杭州市环境保护局"),
    ("dept-housing", "杭州市房产管理局"),
    ("dept-police", "杭州市公安局"),
]


def scalar(value: object) -> str:
    """A YAML scalar: codes always quoted (so "330102" stays text), names plain when safe."""
    text = str(value)
    if isinstance(value, int):
        return text
    plain_ok = (
        not any(ch in text for ch in ":,{}[]#&*!|>'\"%@`")
        and yaml.safe_load(f"k: {text}") == {"k": text}
        and not text[0].isdigit()
    )
    return text if plain_ok else '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def short_street_name(name: str) -> str:
    for suffix in ("街道", "镇", "乡"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def load_facts(data_dir: Path) -> tuple[list[dict[str, object]], int]:
    streets = read_csv(data_dir / "streets_2020.csv")
    communities: dict[str, list[str]] = defaultdict(list)
    for row in read_csv(data_dir / "communities_current.csv"):
        communities[row["street"]].append(row["community"])
    districts: dict[str, dict[str, object]] = {}
    matched = 0
    for street in streets:
        district = districts.setdefault(
            street["district_code"],
            {
                "code": street["district_code"],
                "name": street["district"],
                "short_name": DISTRICT_SHORT[street["district"]],
                "population": POPULATION.get(street["district_code"]),
                "streets": [],
            },
        )
        names = communities.get(street["name"], [])
        matched += len(names)
        district["streets"].append(
            {  # type: ignore[union-attr]
                "code": street["code"],
                "name": street["name"],
                "short_name": short_street_name(street["name"]),
                "communities": [
                    {"code": f"{street['code']}{index:03d}", "name": name}
                    for index, name in enumerate(names, start=1)
                ],
            }
        )
    scenic_streets = [
        {
            "code": f"{SCENIC['code']}-{suffix}",
            "name": f"西湖风景名胜区{name}",
            "short_name": name,
            "communities": [],
        }
        for suffix, name in SCENIC["offices"]  # type: ignore[attr-defined]
    ]
    result = list(districts.values())
    result.append(
        {
            "code": SCENIC["code"],
            "name": SCENIC["name"],
            "short_name": SCENIC["short_name"],
            "population": None,
            "streets": scenic_streets,
        }
    )
    return result, matched


def areas_yaml(districts: list[dict[str, object]], matched: int) -> str:
    streets = sum(len(d["streets"]) for d in districts)  # type: ignore[arg-type]
    out = [
        "# 杭州市主城区: the six assessment areas of the source (2011).",
        "# Generated by tools/build_hangzhou_config.py — edit the script, not this file,",
        "# unless you adapt the configuration by hand (then the script no longer applies).",
        f"# {len(districts)} districts, {streets} street-level areas, {matched} communities.",
        "# District and street codes: official (2020 division codes); scenic-area offices and",
        "# community codes: generated (see README.md).",
        "districts:",
    ]
    for district in districts:
        out += [
            f'  - code: "{district["code"]}"',
            f"    name: {scalar(district['name'])}",
            f"    short_name: {scalar(district['short_name'])}",
        ]
        if district["population"] is not None:
            out.append(f"    population: {district['population']}")
        out.append("    streets:")
        for street in district["streets"]:  # type: ignore[attr-defined]
            out += [
                f'      - code: "{street["code"]}"',
                f"        name: {scalar(street['name'])}",
                f"        short_name: {scalar(street['short_name'])}",
            ]
            if street["communities"]:
                out.append("        communities:")
                out += [
                    f'          - {{code: "{c["code"]}", name: {scalar(c["name"])}}}'
                    for c in street["communities"]
                ]
    return "\n".join(out) + "\n"


def units(districts: list[dict[str, object]]) -> list[dict[str, object]]:
    result: list[dict[str, object]] = [
        {
            "code": CENTRE,
            "name": "杭州市城管96310受理中心",
            "kind": "centre",
            "area": ROOT,
            "phone": "96310",
            "covers": [ROOT],
        }
    ]
    for district in districts:
        code = str(district["code"])
        scenic = code == SCENIC["code"]
        gov, bureau = f"gov-{code}", f"bureau-{code}"
        result += [
            {
                "code": gov,
                "name": SCENIC["government"] if scenic else f"{district['name']}人民政府",
                "kind": "district_government",
                "area": code,
                "covers": [code],
            },
            {
                "code": bureau,
                "name": SCENIC["bureau"] if scenic else f"{district['name']}城管执法局",
                "kind": "enforcement_bureau",
                "parent": CENTRE,
                "area": code,
                "covers": [code],
            },
        ]
        for street in district["streets"]:  # type: ignore[attr-defined]
            street_code, name = street["code"], street["name"]
            short = street["short_name"]
            if scenic:
                squadron, office = f"景区{short.removesuffix('管理处')}中队", name
            elif name.endswith("镇"):
                squadron, office = f"{short}中队", f"{name}人民政府"
            else:
                squadron, office = f"{short}中队", f"{name}办事处"
            result += [
                {
                    "code": f"sq-{street_code}",
                    "name": squadron,
                    "kind": "squadron",
                    "parent": bureau,
                    "area": street_code,
                    "covers": [street_code],
                },
                {
                    "code": f"so-{street_code}",
                    "name": office,
                    "kind": "street_office",
                    "parent": gov,
                    "area": street_code,
                    "covers": [street_code],
                },
            ]
    result += [
        {"code": code, "name": name, "kind": "department", "area": ROOT, "covers": [ROOT]}
        for code, name in DEPARTMENTS
    ]
    return result


def units_yaml(rows: list[dict[str, object]]) -> str:
    out = [
        "# Units of the Hangzhou configuration: the 96310 centre; per district its government",
        "# and enforcement bureau; per street a squadron (中队) and the street office; city",
        "# departments. Generated by tools/build_hangzhou_config.py.",
        "# parent = the supervising unit (escalation goes up this chain);",
        "# covers = the areas the unit answers for, and so everything below them.",
        "units:",
    ]
    for row in rows:
        out.append(f"  - code: {row['code']}")
        out.append(f"    name: {scalar(row['name'])}")
        out.append(f"    kind: {row['kind']}")
        if row.get("parent"):
            out.append(f"    parent: {row['parent']}")
        out.append(f'    area: "{row["area"]}"')
        if row.get("phone"):
            out.append(f'    phone: "{row["phone"]}"')
        covers = ", ".join(f'"{code}"' for code in row["covers"])  # type: ignore[attr-defined]
        out.append(f"    covers: [{covers}]")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> None:
    data_dir = Path(argv[1]) if len(argv) > 1 else DATA_DIR
    out_dir = Path(argv[2]) if len(argv) > 2 else OUT_DIR
    districts, matched = load_facts(data_dir)
    (out_dir / "areas.yaml").write_text(areas_yaml(districts, matched), encoding="utf-8")
    unit_rows = units(districts)
    (out_dir / "units.yaml").write_text(units_yaml(unit_rows), encoding="utf-8")
    print(
        f"wrote {out_dir}/areas.yaml ({matched} communities) and units.yaml "
        f"({len(unit_rows)} units)"
    )


if __name__ == "__main__":
    main(sys.argv)
