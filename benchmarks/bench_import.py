"""Benchmark of the bulk import: a 100,000-row hotline export into a fresh database.

    .venv/bin/python benchmarks/bench_import.py [--rows 100000] [--baseline-rows 2000]
                                                [--pg postgresql://postgres@127.0.0.1/postgres]

Generates a deterministic CSV of realistic Chinese rows (GBK, Chinese headers, as a 12345/96345
export looks), imports it with the bulk path, re-runs it (nothing new: the idempotency check),
and — as the baseline in the same run — imports the first ``--baseline-rows`` rows through
``record_complaint`` one row at a time into another fresh database. Prints JSON.

With ``--pg`` a throw-away database is created on that server and dropped afterwards.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from benchmarks.common import emit, machine
from civicdesk.clock import SHANGHAI
from civicdesk.config.loader import load_config
from civicdesk.db import make_engine
from civicdesk.intake.importing import import_file
from civicdesk.intake.models import Complaint
from civicdesk.migrate import upgrade
from civicdesk.org.models import Area, AreaLevel
from civicdesk.settings import Settings
from civicdesk.taxonomy.models import Category

NOW = datetime(2025, 8, 1, 9, 0, tzinfo=SHANGHAI)
START = datetime(2025, 1, 1, 8, 0)  # noqa: DTZ001 — Beijing wall time, as files give it
HEADERS = [
    "来源",
    "工单号",
    "来电时间",
    "投诉人",
    "联系电话",
    "标题",
    "投诉内容",
    "事发地址",
    "经度",
    "纬度",
    "问题类别",
    "街道",
]
CHANNELS = ["12345", "12345", "12345", "96345", "12319", "96666"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋"
ROADS = [
    "文三路",
    "文二路",
    "教工路",
    "古墩路",
    "天目山路",
    "莫干山路",
    "湖墅南路",
    "凤起路",
    "解放路",
    "延安路",
    "庆春路",
    "中河路",
    "秋涛路",
    "德胜路",
    "石桥路",
    "之江路",
    "学院路",
    "西溪路",
    "余杭塘路",
    "丰潭路",
]
PLACES = [
    "小区东门",
    "菜市场门口",
    "公交站旁",
    "十字路口",
    "学校门口",
    "商铺前",
    "地铁口",
    "沿街店面",
    "工地围挡外",
    "桥下",
]
PROBLEMS = {
    "living_noise": "每天晚上十点以后{place}广场舞音响声音很大，严重影响居民休息，希望尽快处理",
    "construction_noise": "{place}的工地夜间连续施工，凌晨两点还有打桩声音，已经好几天了",
    "street_vendor": "{place}每天傍晚有流动摊贩占道经营卖水果和烧烤，油烟大，行人无法通行",
    "illegal_building": "{place}有住户在楼顶私自搭建彩钢板房，存在安全隐患，请城管核查",
    "illegal_dog": "{place}有人遛狗不拴绳，大型犬追咬行人，小孩很害怕，请管一管",
    "vehicle_soiling": "{place}渣土车沿路撒漏泥浆，路面很脏，下雨天更严重",
    "illegal_parking": "{place}机动车长期乱停在人行道上，堵住盲道，行人只能走机动车道",
    "shopfront": "{place}几家饭店把桌椅摆到人行道上出店经营，晚上还有噪声和油烟",
    "muck_dumping": "{place}空地上夜里有人偷倒建筑垃圾和渣土，已经堆成小山",
}


def generate(path: Path, rows: int, streets: list[Area], categories: dict[str, str]) -> None:
    """A deterministic hotline export: ~470 complaints a day over seven months."""
    rng = random.Random(96310)
    span = (datetime(2025, 7, 31, 20, 0) - START).total_seconds()  # noqa: DTZ001
    codes = [code for code in PROBLEMS if code in categories] or list(categories)[:9]
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for index in range(rows):
            street = rng.choice(streets)
            code = rng.choice(codes)
            road = rng.choice(ROADS)
            place = f"{road}{rng.randint(1, 400)}号{rng.choice(PLACES)}"
            when = START + timedelta(seconds=span * index / rows + rng.randint(0, 600))
            text_ = PROBLEMS.get(code, "{place}有问题需要处理").format(place=place)
            located = rng.random() < 0.6
            writer.writerow(
                [
                    rng.choice(CHANNELS),
                    f"{when:%Y%m%d}{index:07d}",
                    f"{when:%Y/%m/%d %H:%M:%S}" if index % 2 else f"{when:%Y年%m月%d日 %H时%M分}",
                    rng.choice(SURNAMES) + rng.choice(["先生", "女士"]),
                    f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}",
                    "" if index % 3 else text_[:20],
                    text_,
                    f"{street.name}{place}",
                    f"{120.05 + rng.random() * 0.25:.6f}" if located else "",
                    f"{30.18 + rng.random() * 0.15:.6f}" if located else "",
                    categories[code] if index % 4 == 0 else code,  # Chinese name or code
                    street.name if index % 5 == 0 else street.code,
                ]
            )


def fresh_sqlite(folder: Path, name: str) -> Engine:
    return prepare(make_engine(f"sqlite:///{folder / name}"))


def prepare(engine: Engine) -> Engine:
    upgrade(engine)
    with Session(engine) as session:
        load_config(session, "hangzhou")
        session.commit()
    return engine


def timed_import(engine: Engine, path: Path, *, bulk: bool = True) -> dict[str, Any]:
    started = time.perf_counter()
    with Session(engine) as session:
        report = import_file(session, path, now=NOW, bulk=bulk)
        session.commit()
        total = session.scalar(select(func.count()).select_from(Complaint))
    seconds = time.perf_counter() - started
    return {
        "rows": report.rows_read,
        "imported": report.imported,
        "already_present": report.already_present,
        "failed": report.failed,
        "seconds": round(seconds, 3),
        "rows_per_s": round(report.rows_read / seconds),
        "read_validate_s": round(report.read_seconds, 3),
        "write_s": round(report.write_seconds, 3),
        "complaints_in_db": total,
    }


def run(kind: str, make: Any, big: Path, small: Path) -> dict[str, Any]:
    engines = {name: make(name) for name in ("bulk", "naive", "bulk_small")}
    try:
        bulk = timed_import(engines["bulk"], big)
        rerun = timed_import(engines["bulk"], big)
        naive = timed_import(engines["naive"], small, bulk=False)
        bulk_small = timed_import(engines["bulk_small"], small)
    finally:
        for engine in engines.values():
            engine.dispose()
    return {
        "database": kind,
        "bulk": bulk,
        "rerun_same_file": rerun,
        "baseline_record_complaint": naive,
        "bulk_same_rows_as_baseline": bulk_small,
        "speedup_rows_per_s": round(bulk["rows_per_s"] / naive["rows_per_s"], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--baseline-rows", type=int, default=2_000)
    parser.add_argument("--pg", help="PostgreSQL server URL (a fresh database is created there)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="civicdesk-bench-"))
    reference = fresh_sqlite(folder, "reference.db")
    with Session(reference) as session:
        streets = list(session.scalars(select(Area).where(Area.level == AreaLevel.street)))
        leaves = {c.code: c.name for c in session.scalars(select(Category))}
    reference.dispose()
    big, small = folder / "hotline_export.csv", folder / "hotline_export_head.csv"
    generate(big, args.rows, streets, leaves)
    generate(small, args.baseline_rows, streets, leaves)
    result: dict[str, Any] = {
        "rows": args.rows,
        "file_mb": round(big.stat().st_size / 1e6, 1),
        "results": [],
    }
    result["results"].append(run("sqlite", lambda n: fresh_sqlite(folder, f"{n}.db"), big, small))
    if args.pg:
        created: list[str] = []
        try:
            result["results"].append(
                run("postgresql", lambda n: fresh_pg(args.pg, n, created), big, small)
            )
        finally:
            drop_pg(args.pg, created)
    result["max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["machine"] = machine()
    emit(result, args.out)
    return 0


def fresh_pg(server: str, name: str, created: list[str]) -> Engine:
    url = make_url(Settings(database_url=server).database_url)
    database = f"civicdesk_bench_{name}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    created.append(database)
    return prepare(make_engine(url.set(database=database).render_as_string(hide_password=False)))


def drop_pg(server: str, databases: list[str]) -> None:
    url = make_url(Settings(database_url=server).database_url)
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for database in databases:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
