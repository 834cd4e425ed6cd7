"""Where a complaint is, as a comparable place: Chinese addresses (roads and door numbers,
compounds and blocks, junctions, landmarks on a road) and Latin street addresses, normalised so
that "杭州市西湖区文三路398号门口" and "文三路398号" are the same place. Pure: no database.

A place has a ``key`` (what must be equal for "same address") and its parts, so that partial
matches (same compound, another block; same road, a neighbouring number) score in between.
Places are also read from the complaint's own text when the address field is empty (messages
name "湖开小区" or "在水一方大厦" in the text): only what the text says, never a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

_CJK = "\u4e00-\u9fff"
_ROAD_END = "(?:大道|直街|横街|路|街|巷|弄|道)"
_COMPOUND_END = (
    "(?:[一二三四五六七八九十]区|小区|新村|花园|家园|公寓|嘉园|雅苑|苑|园|大厦|广场|社区|村|城|府|里|坊|湾|中心|大楼|"
    "商城|市场|公馆|名园|名苑|国际|华庭|庭|居)"
)
# Words for a spot along a road (a market, a bus stop): "莫干山路农贸市场".
_SPOT_WORDS = (
    "农贸市场|菜市场|菜场|公交站|公交车站|地铁站|地铁口|小学|中学|幼儿园|医院|超市|公园|广场|"
    "桥头|桥下|地下通道|停车场|工地|学校"
)
_QUALIFIERS = re.compile(
    r"(?:门口|门前|附近|旁边|边上|对面|周边|一带|周围|路边|楼下|楼顶|后面|后门|前面|东侧|西侧|"
    r"南侧|北侧|处|这里|那里|[东西南北]门)+$"
)
_FULLWIDTH = str.maketrans("０１２３４５６７８９（）－，", "0123456789()-,")
_NAME = f"[{_CJK}A-Za-z0-9]"
_JUNCTION = re.compile(
    rf"({_NAME}{{1,10}}?{_ROAD_END})(?:与|和|、|/|&|交)({_NAME}{{1,10}}?{_ROAD_END})"
    r"(?:交叉路口|交叉口|交汇处|路口|口)?"
    rf"|({_NAME}{{2,10}}?)(?:与|和|、)({_NAME}{{2,10}}?)(?:交叉路口|交叉口|交汇处|路口)"
)
_BLOCK = re.compile(
    rf"({_NAME}{{1,14}}?{_COMPOUND_END})(?:[一二三四五六七八九十]期)?"
    r"(\d{1,4})(?:幢|栋|号楼|座|单元)"
)
# A door number on a road, or on any name an address gives before "N号" (苏堤582号, 仓基上624号).
_DOOR = re.compile(rf"({_NAME}{{1,12}}?{_ROAD_END})(\d{{1,5}})(?:号|弄)")
_DOOR_ANY = re.compile(rf"^({_NAME}{{1,12}}?)(\d{{1,5}})号")
_SPOT = re.compile(rf"({_NAME}{{1,10}}?{_ROAD_END})({_SPOT_WORDS})")
# An address field naming a spot by a place that is not a road ("仓基上地下通道", "苏堤地下通道"):
# a spot there too, not a road called "…通道" because the word happens to end in 道.
_SPOT_ANY = re.compile(rf"({_NAME}{{2,10}}?)({_SPOT_WORDS})")
_COMPOUND = re.compile(rf"({_NAME}{{1,12}}?{_COMPOUND_END})(?!管)")
# In free text only the unmistakable compound words count ("城", "里", "府" end too many
# words), with the name cut at what cannot be part of it: punctuation, an administrative
# level, a particle or a verb of complaining ("督促解决湖开小区" → "湖开小区").
_TEXT_COMPOUND = re.compile(
    r"(?:小区|新村|花园|家园|公寓|嘉园|雅苑|大厦|广场|名园|华庭|公馆|商城|市场|国际城|大楼)"
)
_NAME_CUT = re.compile(
    r".*(?:[^\u4e00-\u9fffA-Za-z0-9]|[县区市镇乡的了在与和对住于是路街道巷号楼栋幢该这那本我]|解决|督促|位于|"
    r"投诉|反映|举报|关于|请求|要求|建议|咨询|附近|周边)"
)
# Leading administrative names (杭州市, 上城区, 湖滨街道, or the anonymised A市/A2区), each at
# least two characters before its level word: a level character after one character or none is
# part of the road name itself (市民街, 皮市巷, 新市街, 园区路), never cut to "民街", "巷", "路".
_LEVEL_PREFIX = re.compile(
    rf"^(?:(?:[{_CJK}]{{2,8}}?|[A-Z]\d{{0,2}})(?:省|(?<![超夜菜门])市(?!场)|(?<![小社园])区|县|街道|镇|乡))+"
)
_ROAD = re.compile(rf"({_NAME}{{1,10}}?{_ROAD_END})")
# Administrative prefixes that every address of a city shares (省, 市, and anonymised "A市",
# "A1区", "K8县" of the message board); known district and street names come from configuration.
# A city's name holds no level or road word, and 超市/夜市/菜市/门市/市场 are not cities
# ("水亭址超市" must not be read as a city called 水亭址超).
_CITY = rf"(?:(?![区县省市路街巷道与和])[{_CJK}]){{2,4}}(?<![超夜菜门])市(?!场)"
_GENERIC_ADMIN = re.compile(rf"^(?:中国|[{_CJK}]{{2,3}}省|{_CITY}|[A-Z]\d{{0,2}}[市区县])")
# Text words that look like compounds but are not places.
_NOT_PLACES = frozenset(
    {
        "小区",
        "社区",
        "村",
        "城",
        "公园",
        "广场",
        "市场",
        "中心",
        "花园",
        "家园",
        "府",
        "城管",
        "政府",
    }
)
_LATIN_WORDS = {
    "STREET": "ST",
    "AVENUE": "AVE",
    "ROAD": "RD",
    "BOULEVARD": "BLVD",
    "PLACE": "PL",
    "DRIVE": "DR",
    "LANE": "LN",
    "COURT": "CT",
    "TERRACE": "TER",
    "PARKWAY": "PKWY",
    "EAST": "E",
    "WEST": "W",
    "NORTH": "N",
    "SOUTH": "S",
}


@dataclass(frozen=True, slots=True)
class Place:
    """A normalised place. ``kind``: door (road + number), block (compound + block), junction,
    spot (road + landmark), compound, road, latin (a street address in Latin letters)."""

    kind: str
    key: str
    road: str | None = None
    number: int | None = None
    compound: str | None = None
    label: str = ""

    @property
    def specific(self) -> bool:
        """Precise enough that two complaints here are about one spot."""
        return self.kind in ("door", "block", "junction", "spot", "latin", "compound", "named")


class AddressReader:
    """Reads addresses with the administrative names of the configured city stripped."""

    def __init__(self, admin_names: Iterable[str] = ()) -> None:
        names = sorted({n for n in admin_names if len(n) >= 2}, key=len, reverse=True)
        self._admin = re.compile("^(?:" + "|".join(map(re.escape, names)) + ")") if names else None
        self._cached = lru_cache(maxsize=200_000)(self._read)

    def read(self, address: str | None) -> Place | None:
        """The place an address field gives, or None when it names nothing comparable."""
        if not address or not address.strip():
            return None
        return self._cached(address)

    def _read(self, address: str) -> Place | None:
        text = _compact(address)
        if not text:
            return None
        if _is_latin(text):
            return _latin(address)
        text = self.strip_admin(text)
        text = _QUALIFIERS.sub("", text)
        return _parse(text, whole=True)

    def strip_admin(self, text: str) -> str:
        for _ in range(6):
            before = text
            match = _GENERIC_ADMIN.match(text)
            if match:
                text = text[match.end() :]
            if self._admin is not None:
                match = self._admin.match(text)
                if match:
                    text = text[match.end() :]
            if text == before:
                break
        return text

    def from_text(self, text: str | None) -> Place | None:
        """The most precise place a free text names ("在水一方大厦", "文三路398号"), if any."""
        if not text:
            return None
        compact = _compact(text)[:400]
        return _parse(compact, whole=False, strip=self.strip_admin)


def _compact(text: str) -> str:
    return re.sub(r"\s+", "", text.translate(_FULLWIDTH))


def _is_latin(text: str) -> bool:
    return not re.search(f"[{_CJK}]", text) and bool(re.search(r"[A-Za-z]", text))


def _latin(address: str) -> Place | None:
    head = address.upper().split(",")[0]
    words = re.sub(r"[^A-Z0-9 ]", " ", head).split()
    words = [_LATIN_WORDS.get(w, w) for w in words]
    if not words:
        return None
    key = " ".join(words)
    number = int(words[0]) if words[0].isdigit() else None
    road = " ".join(words[1:]) if number is not None else key
    return Place("latin", f"n:{key}", road=road, number=number, label=key)


def _parse(text: str, *, whole: bool, strip: Callable[[str], str] | None = None) -> Place | None:
    """The most specific pattern found; ``whole``: an address field (the whole text names one
    place, so a bare road or a name that fits no pattern still counts as given)."""
    strip_admin = strip or (lambda s: s)

    def clean(name: str) -> str:
        # A road name never holds an administrative level: whatever a text put before it
        # ("A2区西地省A市A2区新岭路") goes.
        name = strip_admin(name)
        cut = _LEVEL_PREFIX.match(name)
        return name[cut.end() :] if cut and len(name) - cut.end() >= 2 else name

    match = _JUNCTION.search(text)
    if match:
        first, second = (match.group(1), match.group(2)) if match.group(1) else match.group(3, 4)
        a, b = sorted((clean(first), clean(second)))
        return Place("junction", f"j:{a}|{b}", road=a, label=f"{a}与{b}交叉口")
    match = _BLOCK.search(text)
    if match and match.group(1) not in _NOT_PLACES:
        compound, block = strip_admin(match.group(1)), int(match.group(2))
        return Place(
            "block",
            f"b:{compound}|{block}",
            number=block,
            compound=compound,
            label=f"{compound}{block}幢",
        )
    match = _DOOR.search(text) or (_DOOR_ANY.search(text) if whole else None)
    if match:
        road, number = clean(match.group(1)), int(match.group(2))
        return Place(
            "door", f"d:{road}|{number}", road=road, number=number, label=f"{road}{number}号"
        )
    match = _SPOT.search(text) or (_SPOT_ANY.fullmatch(text) if whole else None)
    if match:
        road = clean(match.group(1))
        return Place("spot", f"s:{road}|{match.group(2)}", road=road, label=road + match.group(2))
    if not whole:
        compound = _text_compound(text)
        return (
            Place("compound", f"c:{compound}", compound=compound, label=compound)
            if compound
            else None
        )
    for match in _COMPOUND.finditer(text):
        compound = strip_admin(match.group(1))
        if compound not in _NOT_PLACES and len(compound) >= 3:
            return Place("compound", f"c:{compound}", compound=compound, label=compound)
    match = _ROAD.fullmatch(text)
    if match:
        return Place("road", f"r:{text}", road=text, label=text)
    if 2 <= len(text) <= 40:
        return Place("named", f"x:{text}", label=text)
    return None


def _text_compound(text: str) -> str | None:
    for match in _TEXT_COMPOUND.finditer(text):
        head = text[max(0, match.start() - 6) : match.start()]
        cut = _NAME_CUT.match(head)
        name = head[cut.end() :] if cut else head
        if len(name) >= 2:
            return name + match.group(0)
    return None


def place_similarity(a: Place | None, b: Place | None) -> tuple[float, str]:
    """How surely two places are one spot, 0..1, and why (for the explanation)."""
    if a is None or b is None:
        return 0.0, "无可比地址"
    if a.key == b.key:
        return (1.0 if a.specific else 0.35), f"地址相同（{a.label}）"
    if a.compound and a.compound == b.compound:
        if a.kind == "block" and b.kind == "block":
            return 0.3, f"同一小区不同楼幢（{a.compound}）"
        return 0.7, f"同一小区（{a.compound}）"
    if a.road and a.road == b.road:
        if a.number is not None and b.number is not None:
            gap = abs(a.number - b.number)
            if gap <= 4:
                return 0.6, f"同一道路相邻门牌（{a.label}／{b.label}）"
            return 0.15, f"同一道路（{a.road}）"
        return 0.4, f"同一道路（{a.road}）"
    return 0.0, "地址不同"


# ---- coordinates ----------------------------------------------------------------------------

EARTH_M = 6_371_000.0


def distance_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h)))


def coordinate_similarity(d: float) -> float:
    """Within 30 m one spot; fading to nothing at 300 m."""
    if d <= 30:
        return 1.0
    if d >= 300:
        return 0.0
    return round(1.0 - (d - 30) / 270, 3)


CELL_DEG = 0.003  # about 330 m north–south: a 3×3 block of cells covers 300 m all round


def cell_of(lon: float, lat: float) -> tuple[int, int]:
    return math.floor(lon / CELL_DEG), math.floor(lat / CELL_DEG)


def usable_point(
    lon: float | None, lat: float | None, bounds: tuple[float, float, float, float] | None
) -> bool:
    """Coordinates worth comparing: inside the configured box, and not a placeholder (whole
    degrees such as 39,-77 or 0,0, which exports write when the point is unknown)."""
    if lon is None or lat is None:
        return False
    if float(lon).is_integer() and float(lat).is_integer():
        return False
    if bounds is not None:
        west, south, east, north = bounds
        return west <= lon <= east and south <= lat <= north
    return True
