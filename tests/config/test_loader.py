"""The configuration loader, the shipped Hangzhou configuration, and the config services.

The ``session`` fixture already has the Hangzhou configuration loaded (conftest); loading
another directory in a test is rolled back with the rest of the test's changes.
"""

from __future__ import annotations

import shutil
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.config.loader import BUILTIN_DIR, load_config, read_config
from civicdesk.config.models import CalendarOverride
from civicdesk.config.service import (
    area_path,
    category_tree,
    get_setting,
    hotspot_categories,
    leaf_categories,
    load_calendar_overrides,
    units_covering,
    work_calendar,
)
from civicdesk.errors import ConfigurationError
from civicdesk.intake.models import Channel
from civicdesk.org.models import Area, Unit, unit_areas
from civicdesk.taxonomy.models import Category

HANGZHOU = BUILTIN_DIR / "hangzhou"
HOTSPOTS = {
    "living_noise": "生活噪声",
    "construction_noise": "施工噪声",
    "street_vendor": "无证摊贩",
    "illegal_building": "违法建筑",
    "illegal_dog": "违法养犬",
    "vehicle_soiling": "机动车污染道路",
    "illegal_parking": "违法停车",
    "shopfront": "出店经营",
    "muck_dumping": "乱倒渣土",
}
CHANNELS = [
    "12345",
    "96666",
    "district_hotline",
    "12319",
    "96345",
    "96310",
    "letter",
    "visit",
    "web",
    "app",
    "volunteer",
    "inspection",
]
DISTRICTS_2020 = {"330102": 6, "330103": 8, "330104": 10, "330105": 10, "330106": 12}


def area(session: Session, code: str) -> Area:
    return session.scalars(select(Area).where(Area.code == code)).one()


def children(session: Session, parent: Area) -> list[Area]:
    return list(
        session.scalars(select(Area).where(Area.parent_id == parent.id).order_by(Area.sort_order))
    )


def copy_hangzhou(tmp_path: Path) -> Path:
    target = tmp_path / "city"
    shutil.copytree(HANGZHOU, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# ---- the shipped Hangzhou configuration ---------------------------------------------------


def test_root_is_the_main_urban_area_with_the_six_assessment_areas(session: Session) -> None:
    root = area(session, "330100")
    assert (root.name, root.short_name, root.level, root.parent_id) == (
        "杭州市主城区",
        "主城区",
        "city",
        None,
    )
    districts = children(session, root)
    assert [(d.name, d.short_name) for d in districts] == [
        ("上城区", "上城"),
        ("下城区", "下城"),
        ("江干区", "江干"),
        ("拱墅区", "拱墅"),
        ("西湖区", "西湖"),
        ("西湖风景名胜区", "西湖风景名胜区"),
    ]
    assert {d.level for d in districts} == {"district"}
    assert districts[-1].code == "330100-xhfjq"


def test_the_46_streets_of_2020_keep_their_official_codes(session: Session) -> None:
    for code, count in DISTRICTS_2020.items():
        streets = children(session, area(session, code))
        assert len(streets) == count
        assert all(s.code.startswith(code) and len(s.code) == 9 for s in streets)
        assert {s.level for s in streets} == {"street"}
    xixi = area(session, "330106004")
    assert (xixi.name, xixi.short_name) == ("西溪街道", "西溪")
    assert area(session, "330106109").short_name == "三墩"  # a town: 三墩镇


def test_the_scenic_area_has_its_management_offices(session: Session) -> None:
    offices = children(session, area(session, "330100-xhfjq"))
    assert len(offices) >= 5
    assert all(o.name.endswith("管理处") and o.level == "street" for o in offices)


def test_communities_are_matched_to_their_2020_streets(session: Session) -> None:
    communities = session.scalars(select(Area).where(Area.level == "community")).all()
    assert len(communities) == 625
    streets = {a.id: a for a in session.scalars(select(Area).where(Area.level == "street"))}
    for community in communities:
        street = streets[community.parent_id]
        assert community.code.startswith(street.code) and len(community.code) == 12
    # 白杨街道 went to 钱塘区 in 2021; its communities still belong to the 江干区 street of 2020.
    baiyang = area(session, "330104009")
    assert len(children(session, baiyang)) == 21


def test_every_street_has_exactly_one_squadron_and_one_street_office(session: Session) -> None:
    streets = session.scalars(select(Area).where(Area.level == "street")).all()
    covering = session.execute(
        select(unit_areas.c.area_id, Unit.kind, Unit.parent_id).join(
            Unit, Unit.id == unit_areas.c.unit_id
        )
    ).all()
    bureaus = {u.id for u in session.scalars(select(Unit).where(Unit.kind == "enforcement_bureau"))}
    for street in streets:
        kinds = [kind for area_id, kind, _ in covering if area_id == street.id]
        assert sorted(kinds) == ["squadron", "street_office"], street.name
    assert {parent for _, kind, parent in covering if kind == "squadron"} <= bureaus
    xixi = session.scalars(select(Unit).where(Unit.code == "sq-330106004")).one()
    assert xixi.name == "西溪中队"


def test_units_chain_up_to_the_96310_centre(session: Session) -> None:
    centre = session.scalars(select(Unit).where(Unit.kind == "centre")).one()
    assert (centre.code, centre.name, centre.phone) == (
        "centre-96310",
        "杭州市城管96310受理中心",
        "96310",
    )
    bureau = session.scalars(select(Unit).where(Unit.code == "bureau-330106")).one()
    assert (bureau.name, bureau.parent_id) == ("西湖区城管执法局", centre.id)
    departments = session.scalars(select(Unit.name).where(Unit.kind == "department")).all()
    assert {"杭州市园林文物局", "杭州市公安局交通警察支队"} <= set(departments)


def test_the_nine_hotspot_categories_are_flagged(session: Session) -> None:
    hotspots = hotspot_categories(session)
    assert {c.code: c.name for c in hotspots} == HOTSPOTS
    assert all(c.in_remit for c in hotspots)


def test_categories_inherit_limits_and_remit_from_their_parents(session: Session) -> None:
    by_code = {c.code: c for c in session.scalars(select(Category))}
    assert by_code["street_vendor"].handle_days == by_code["street_order"].handle_days
    assert by_code["illegal_parking"].handle_days == 1  # its own, overriding the parent's
    assert by_code["illegal_building"].handle_days == 15
    assert by_code["living_noise"].accept_hours == 1.0
    assert by_code["not_city"].in_remit is False
    assert by_code["property_management"].in_remit is False
    assert by_code["other_city"].in_remit is True


def test_leaf_categories_carry_a_keyword_lexicon(session: Session) -> None:
    leaves = leaf_categories(session)
    codes = {c.code for c in leaves}
    assert set(HOTSPOTS) <= codes
    assert {
        "garbage_clearing",
        "outdoor_ads",
        "dust",
        "cooking_fumes",
        "greening",
        "open_burning",
        "occupying_road",
        "other_city",
        "street_lights",
    } <= codes
    assert "sanitation" not in codes and "not_city" not in codes
    for category in leaves:
        assert 8 <= len(category.keywords) <= 20, category.code


def test_category_tree_groups_the_categories(session: Session) -> None:
    roots = category_tree(session)
    assert [n.category.code for n in roots] == [
        "street_order",
        "city_appearance",
        "construction",
        "facilities",
        "extended",
        "not_city",
    ]
    construction = roots[2]
    assert {n.category.code for n in construction.children} >= {
        "construction_noise",
        "illegal_building",
        "muck_dumping",
    }
    assert all(n.is_leaf for n in roots[-1].children)


def test_channels_are_the_configured_list(session: Session) -> None:
    channels = session.scalars(select(Channel).order_by(Channel.sort_order)).all()
    assert [c.code for c in channels] == CHANNELS
    forwarded = {c.code for c in channels if c.forwarded}
    assert forwarded == {"12345", "96666", "district_hotline", "12319", "96345"}
    assert {c.code: c.name for c in channels}["12345"] == "市长公开电话"


# ---- loading: idempotent, updating, never deleting ----------------------------------------


def test_loading_the_same_configuration_again_changes_nothing(session: Session) -> None:
    summary = load_config(session, "hangzhou")
    assert not summary.changed
    assert summary["areas"].unchanged == 685
    assert summary["channels"].unchanged == 12
    assert all(not s.kept for s in summary.kinds.values())
    assert not session.dirty and not session.new


def test_an_edited_directory_updates_rows_and_keeps_the_missing_ones(
    session: Session, tmp_path: Path
) -> None:
    config = copy_hangzhou(tmp_path)
    channels = config / "channels.yaml"
    edit(channels, "name: 网上投诉,", "name: 网上信访,")
    # The last one, so that the others keep their order (a move is an update too).
    edit(channels, "  - {code: inspection, name: 巡查发现, kind: inspection}\n", "")
    channels.write_text(
        channels.read_text(encoding="utf-8") + "  - {code: wechat, name: 微信公众号, kind: app}\n",
        encoding="utf-8",
    )
    edit(
        config / "units.yaml",
        'area: "330106004"\n    covers: ["330106004"]',
        'area: "330106004"\n    covers: ["330106004", "330106005"]',
    )
    edit(config / "categories.yaml", "handle_days: 15", "handle_days: 20")

    summary = load_config(session, config)

    assert (summary["channels"].created, summary["channels"].updated) == (1, 1)
    assert summary["channels"].kept == ["inspection"]
    assert summary["units"].updated == 1  # only the covered areas of 西溪中队 changed
    assert summary["categories"].updated == 1
    assert summary["areas"].unchanged == 685
    names = dict(session.execute(select(Channel.code, Channel.name)).all())
    assert names["web"] == "网上信访" and names["wechat"] == "微信公众号"
    assert "inspection" in names  # kept: complaints may refer to it
    cuiyuan = area(session, "330106005")
    assert [u.code for u in units_covering(session, cuiyuan.id)][:2] == [
        "sq-330106004",
        "sq-330106005",
    ]


def test_a_new_city_can_be_loaded_next_to_the_existing_rows(
    session: Session, tmp_path: Path
) -> None:
    config = tmp_path / "tiny"
    config.mkdir()
    (config / "city.yaml").write_text(
        "root: {code: '999900', name: 测试市, short_name: 测试}\n"
        "settings:\n  office_hours: ['09:00-12:00', '13:00-18:00']\n"
        "  case_number_prefix: TS\n  timezone: Asia/Shanghai\n  callback_days: 2\n",
        encoding="utf-8",
    )
    (config / "areas.yaml").write_text(
        "districts:\n  - code: '999901'\n    name: 一区\n    streets:\n"
        "      - {code: '999901001', name: 一街道}\n",
        encoding="utf-8",
    )
    (config / "units.yaml").write_text(
        "units:\n  - {code: t-bureau, name: 一区局, kind: enforcement_bureau, covers: ['999901']}\n"
        "  - {code: t-sq, name: 一中队, kind: squadron, parent: t-bureau, area: '999901001',"
        " covers: ['999901001']}\n",
        encoding="utf-8",
    )
    (config / "categories.yaml").write_text(
        "categories:\n  - {code: t-noise, name: 噪声, handle_days: 1}\n", encoding="utf-8"
    )
    (config / "channels.yaml").write_text(
        "channels:\n  - {code: t-phone, name: 电话, kind: hotline}\n", encoding="utf-8"
    )
    (config / "calendar.yaml").write_text(
        "holidays: [2027-01-01]\nworkdays: [2027-01-02]\n", encoding="utf-8"
    )

    summary = load_config(session, config)

    assert summary["areas"].created == 3
    assert "330100" in summary["areas"].kept
    assert (summary["settings"].updated, summary["settings"].created) == (2, 1)
    assert get_setting(session, "callback_days") == "2"
    category = session.scalars(select(Category).where(Category.code == "t-noise")).one()
    assert (category.accept_hours, category.handle_days, category.reply_days) == (2.0, 1, 1)
    calendar = work_calendar(session)
    assert calendar.office_hours.periods == ((time(9), time(12)), (time(13), time(18)))
    assert not calendar.is_workday(date(2027, 1, 1))
    assert calendar.is_workday(date(2027, 1, 2))
    street = area(session, "999901001")
    assert [a.code for a in area_path(session, street.id)] == ["999900", "999901", "999901001"]
    assert [u.code for u in units_covering(session, street.id)] == ["t-sq", "t-bureau"]


# ---- broken configurations: named errors, nothing written ---------------------------------


def _unknown_parent(config: Path) -> None:
    edit(config / "units.yaml", "parent: bureau-330106", "parent: bureau-330199")


def _negative_handle_days(config: Path) -> None:
    living_noise = "        accept_hours: 1\n        handle_days: {}\n        keywords: [噪音"
    edit(config / "categories.yaml", living_noise.format(2), living_noise.format(-1))


def _duplicate_code(config: Path) -> None:
    edit(config / "channels.yaml", "{code: visit,", "{code: letter,")


def _yaml_syntax_error(config: Path) -> None:
    edit(config / "areas.yaml", "    name: 西湖区\n", "    name: [西湖区\n")


def _wrong_encoding(config: Path) -> None:
    text = (config / "city.yaml").read_text(encoding="utf-8")
    (config / "city.yaml").write_bytes(text.encode("gbk"))


def _unit_cycle(config: Path) -> None:
    edit(
        config / "units.yaml",
        '    kind: enforcement_bureau\n    parent: centre-96310\n    area: "330102"',
        '    kind: enforcement_bureau\n    parent: sq-330102001\n    area: "330102"',
    )


def _unknown_covered_area(config: Path) -> None:
    edit(config / "units.yaml", 'covers: ["330106004"]', 'covers: ["330106099"]')


def _misspelt_field(config: Path) -> None:
    edit(config / "categories.yaml", "handle_days: 15", "handel_days: 15")


def _repeated_key(config: Path) -> None:
    edit(
        config / "city.yaml",
        "  timezone: Asia/Shanghai\n",
        "  timezone: Asia/Shanghai\n  timezone: Europe/Paris\n",
    )


def _missing_file(config: Path) -> None:
    (config / "channels.yaml").unlink()


def _bad_office_hours(config: Path) -> None:
    edit(config / "city.yaml", '"13:30-17:30"', '"13:30-12:30"')


BROKEN = {
    "unknown parent": (
        _unknown_parent,
        ["units.yaml", "sq-330106002", "parent", "unknown unit 'bureau-330199'"],
    ),
    "negative limit": (
        _negative_handle_days,
        ["categories.yaml", "living_noise", "handle_days", "greater than or equal to 0"],
    ),
    "duplicate code": (
        _duplicate_code,
        ["channels.yaml:", "channels[7] (code 'letter')", "duplicate code", "channels[6]"],
    ),
    "yaml syntax": (_yaml_syntax_error, ["areas.yaml:", "not valid YAML"]),
    "wrong encoding": (_wrong_encoding, ["city.yaml", "not UTF-8", "save the file as UTF-8"]),
    "parent cycle": (
        _unit_cycle,
        ["units.yaml", "unit parent cycle", "bureau-330102", "sq-330102001"],
    ),
    "unknown covered area": (
        _unknown_covered_area,
        ["units.yaml", "sq-330106004", "covers", "'330106099'"],
    ),
    "misspelt field": (
        _misspelt_field,
        ["categories.yaml", "illegal_building", "handel_days", "Extra inputs are not permitted"],
    ),
    "repeated key": (_repeated_key, ["city.yaml:", "'timezone' appears twice"]),
    "missing file": (_missing_file, ["channels.yaml", "file missing"]),
    "bad office hours": (_bad_office_hours, ["city.yaml", "office_hours", "ends before it starts"]),
}


@pytest.mark.parametrize("breakage", BROKEN.values(), ids=list(BROKEN))
def test_a_broken_configuration_names_the_problem_and_writes_nothing(
    session: Session, tmp_path: Path, breakage: tuple
) -> None:
    damage, expected = breakage
    config = copy_hangzhou(tmp_path)
    # A valid change beside the damage must not be written either.
    edit(config / "areas.yaml", "short_name: 西溪\n", "short_name: 西溪（改）\n")
    damage(config)
    counts_before = _row_counts(session)

    with pytest.raises(ConfigurationError) as caught:
        load_config(session, config)

    message = caught.value.message
    assert message.startswith("配置无效 / invalid configuration in ")
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert _row_counts(session) == counts_before
    assert area(session, "330106004").short_name == "西溪"


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    config = copy_hangzhou(tmp_path)
    _unknown_parent(config)
    _negative_handle_days(config)
    _duplicate_code(config)
    with pytest.raises(ConfigurationError) as caught:
        read_config(config)
    assert "(3 errors)" in caught.value.message
    assert len(caught.value.message.splitlines()) == 4


def test_errors_point_at_the_line(tmp_path: Path) -> None:
    config = copy_hangzhou(tmp_path)
    _negative_handle_days(config)
    lines = (config / "categories.yaml").read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "handle_days: -1" in text)
    with pytest.raises(ConfigurationError, match=rf"categories\.yaml:{line}: "):
        read_config(config)


def test_an_unknown_source_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="hangzhou"):
        read_config("shanghai")
    with pytest.raises(ConfigurationError):
        read_config(tmp_path / "missing")


def test_unknown_yaml_files_are_warned_about(tmp_path: Path) -> None:
    config = copy_hangzhou(tmp_path)
    (config / "unit.yaml").write_text("units: []\n", encoding="utf-8")
    assert read_config(config).warnings == ["unit.yaml: not a configuration file name; ignored"]


def _row_counts(session: Session) -> tuple[int, ...]:
    return tuple(
        session.scalar(select(func.count()).select_from(table))
        for table in (Area, Unit, unit_areas, Category, Channel, CalendarOverride)
    )


# ---- services ----------------------------------------------------------------------------


def test_units_covering_a_community_start_with_its_streets_squadron(session: Session) -> None:
    community = children(session, area(session, "330106004"))[0]
    codes = [u.code for u in units_covering(session, community.id)]
    assert codes[:4] == ["sq-330106004", "so-330106004", "bureau-330106", "gov-330106"]
    assert codes[-1] == "centre-96310"
    assert not any(code.startswith("sq-") for code in codes[1:])


def test_units_covering_a_district_have_no_squadron(session: Session) -> None:
    codes = [u.code for u in units_covering(session, area(session, "330105").id)]
    assert codes[:2] == ["bureau-330105", "gov-330105"]


def test_area_path_runs_from_the_root(session: Session) -> None:
    community = children(session, area(session, "330106004"))[0]
    path = area_path(session, community.id)
    assert [a.short_name for a in path[:3]] == ["主城区", "西湖", "西溪"]
    assert path[-1].id == community.id


def test_settings_and_the_work_calendar_come_from_the_configuration(session: Session) -> None:
    assert get_setting(session, "case_number_prefix") == "HZ"
    assert get_setting(session, "timezone") == "Asia/Shanghai"
    assert get_setting(session, "no_such_setting", "x") == "x"
    calendar = work_calendar(session)
    assert calendar.office_hours.periods == ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))
    assert not calendar.is_workday(date(2026, 2, 17))  # Spring Festival
    assert calendar.is_workday(date(2026, 2, 28))  # adjusted working Saturday (调休)


def test_calendar_overrides_are_upserted_from_a_file(session: Session, tmp_path: Path) -> None:
    notice = tmp_path / "2027.csv"
    notice.write_text("date,workday,note\n2027-01-01,0,元旦\n2027-02-20,1,调休\n", encoding="utf-8")
    assert load_calendar_overrides(session, notice) == 2
    notice.write_text("date,workday,note\n2027-01-01,0,元旦\n2027-02-20,0,改\n", encoding="utf-8")
    assert load_calendar_overrides(session, notice) == 2
    rows = {r.day: r for r in session.scalars(select(CalendarOverride))}
    assert rows[date(2027, 2, 20)].workday is False
    assert rows[date(2027, 1, 1)].note == "文件 2027.csv"
    # 2027 is unknown to chinese_calendar: once its notice is loaded, other days follow Mon–Fri.
    calendar = work_calendar(session)
    assert not calendar.is_workday(date(2027, 1, 1))
    assert not calendar.is_workday(date(2027, 2, 20))
    assert calendar.is_workday(date(2027, 1, 4))
    assert not calendar.is_workday(date(2027, 1, 9))  # a Saturday


def test_a_bad_calendar_file_is_a_configuration_error(session: Session, tmp_path: Path) -> None:
    notice = tmp_path / "bad.csv"
    notice.write_text("date,workday\n2027-02-30,1\n", encoding="utf-8")
    with pytest.raises(ConfigurationError, match="not a real date"):
        load_calendar_overrides(session, notice)
    with pytest.raises(ConfigurationError, match="no such file"):
        load_calendar_overrides(session, tmp_path / "missing.csv")
