"""Chinese text for the demo history: addresses, complainants, complaint texts, replies.

Pure functions of a ``random.Random`` and plain values, so the generator stays deterministic.
Road names are real roads of each street of Hangzhou's main urban area as the source knew it;
streets this table does not know fall back to their district's roads, then to roads made from
the configuration's community names, so any configured city still gets readable addresses.
"""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass
from functools import cache

# ---- places ------------------------------------------------------------------------------

STREET_ROADS: dict[str, tuple[str, ...]] = {
    # 上城区
    "清波街道": ("南山路", "河坊街", "清波街", "劳动路", "定安路", "四宜路", "大井巷", "高银街"),
    "湖滨街道": (
        "延安路",
        "平海路",
        "湖滨路",
        "东坡路",
        "邮电路",
        "仁和路",
        "解放路",
        "学士路",
        "长生路",
        "吴山路",
    ),
    "小营街道": (
        "庆春路",
        "建国中路",
        "皮市巷",
        "马市街",
        "小营巷",
        "青年路",
        "岳王路",
        "大学路",
        "葵巷",
        "金钱巷",
    ),
    "南星街道": (
        "复兴街",
        "秋涛路",
        "江城路",
        "南复路",
        "馒头山路",
        "凤凰山脚路",
        "海潮路",
        "美政路",
    ),
    "紫阳街道": (
        "中山南路",
        "江城路",
        "望江路",
        "建国南路",
        "上羊市街",
        "十五奎巷",
        "候潮路",
        "鼓楼巷",
    ),
    "望江街道": (
        "望江路",
        "秋涛路",
        "婺江路",
        "清江路",
        "望江东路",
        "近江路",
        "始版桥直街",
        "清泰街",
    ),
    # 下城区
    "长庆街道": (
        "环城北路",
        "延安路",
        "凤起路",
        "长庆街",
        "百井坊巷",
        "武林路",
        "孩儿巷",
        "白傅路",
    ),
    "武林街道": (
        "武林路",
        "体育场路",
        "延安路",
        "凤起路",
        "环城西路",
        "中山北路",
        "竹竿巷",
        "仙林桥直街",
    ),
    "天水街道": (
        "中山北路",
        "凤起路",
        "体育场路",
        "环城北路",
        "延安路",
        "天水桥",
        "胭脂新村路",
        "灯芯巷",
    ),
    "潮鸣街道": (
        "建国北路",
        "凤起东路",
        "新华路",
        "刀茅巷",
        "水亭址",
        "潮鸣寺巷",
        "东清巷",
        "艮山西路",
    ),
    "朝晖街道": (
        "朝晖路",
        "上塘路",
        "中山北路",
        "潮王路",
        "环城北路",
        "香积寺路",
        "京杭路",
        "新市街",
    ),
    "文晖街道": (
        "文晖路",
        "中山北路",
        "潮王路",
        "东新路",
        "河东路",
        "西文街",
        "现代城路",
        "王马巷",
    ),
    "东新街道": (
        "东新路",
        "德胜路",
        "白石路",
        "永华街",
        "新天地街",
        "东文路",
        "香积寺东路",
        "长城街",
    ),
    "石桥街道": ("石桥路", "杭玻街", "华丰路", "永华街", "石祥路", "明月桥路", "华中路", "沈半路"),
    # 江干区
    "凯旋街道": (
        "凯旋路",
        "景芳路",
        "秋涛北路",
        "凤起东路",
        "庆春东路",
        "景昙路",
        "南肖埠路",
        "凯旋街",
    ),
    "采荷街道": (
        "采荷路",
        "秋涛北路",
        "庆春东路",
        "凯旋路",
        "清江路",
        "观音塘路",
        "杭海路",
        "新塘路",
    ),
    "闸弄口街道": (
        "天城路",
        "机场路",
        "艮山西路",
        "新风路",
        "东新路",
        "环站东路",
        "濮家路",
        "红普路",
    ),
    "四季青街道": (
        "钱江路",
        "富春路",
        "之江路",
        "庆春东路",
        "解放东路",
        "市民街",
        "五星路",
        "新业路",
    ),
    "白杨街道": ("学林街", "学源街", "文泽路", "文津路", "学正街", "2号大街", "6号大街", "学海路"),
    "下沙街道": (
        "下沙路",
        "文海南路",
        "海达南路",
        "月雅路",
        "幸福南路",
        "银沙路",
        "松乔街",
        "东湖路",
    ),
    "彭埠街道": (
        "艮山东路",
        "环站北路",
        "天城东路",
        "明月桥路",
        "彭埠路",
        "七堡路",
        "华丰路",
        "新塘路",
    ),
    "笕桥街道": ("机场路", "同协路", "杭海路", "笕丁路", "新塘路", "横塘路", "笕桥路", "弄口路"),
    "丁兰街道": (
        "丁兰路",
        "大农港路",
        "华中南路",
        "长睦路",
        "同协路",
        "丁桥路",
        "皋亭路",
        "勤丰路",
    ),
    "九堡街道": (
        "九环路",
        "德胜快速路",
        "杭海路",
        "下沙路",
        "九沙大道",
        "九堡大桥路",
        "三卫路",
        "九和路",
    ),
    # 拱墅区
    "米市巷街道": (
        "湖墅南路",
        "米市巷",
        "环城北路",
        "长板巷",
        "新文路",
        "左家新村路",
        "哑巴弄",
        "夹城巷",
    ),
    "湖墅街道": (
        "湖墅南路",
        "湖墅北路",
        "霞湾巷",
        "卖鱼桥",
        "德胜路",
        "大兜路",
        "信义巷",
        "仓基上",
    ),
    "小河街道": (
        "小河路",
        "湖州街",
        "登云路",
        "丽水路",
        "长征桥路",
        "余杭塘路",
        "小河直街",
        "和睦路",
    ),
    "和睦街道": (
        "和睦路",
        "莫干山路",
        "登云路",
        "湖州街",
        "通益路",
        "和睦新村路",
        "学院北路",
        "文教路",
    ),
    "拱宸桥街道": (
        "小河路",
        "丽水路",
        "台州路",
        "温州路",
        "金华路",
        "舟山东路",
        "通源路",
        "桥弄街",
    ),
    "大关街道": (
        "大关路",
        "上塘路",
        "绍兴路",
        "东新路",
        "新文路",
        "大关西路",
        "香积寺路",
        "德胜路",
    ),
    "上塘街道": (
        "上塘路",
        "湖州街",
        "长城街",
        "皋亭坝路",
        "蓝孔雀路",
        "香积寺西路",
        "半山路",
        "董家路",
    ),
    "祥符街道": (
        "莫干山路",
        "花园岗街",
        "益乐北路",
        "古运路",
        "祥园路",
        "丰潭路",
        "石祥西路",
        "勾山路",
    ),
    "康桥街道": ("康桥路", "康园路", "金昌路", "康惠路", "东新路", "康贤路", "长浜路", "渡船路"),
    "半山街道": (
        "半山路",
        "石祥路",
        "永和路",
        "沈半路",
        "杭钢路",
        "半山桥路",
        "田园路",
        "皋亭山路",
    ),
    # 西湖区
    "北山街道": (
        "北山街",
        "曙光路",
        "保俶路",
        "西溪路",
        "天目山路",
        "杨公堤",
        "宝石一路",
        "葛岭路",
    ),
    "西溪街道": (
        "文三路",
        "教工路",
        "学院路",
        "天目山路",
        "西溪路",
        "文二路",
        "保俶北路",
        "马塍路",
        "文一路",
        "黄姑山路",
    ),
    "翠苑街道": ("文一路", "文二路", "古翠路", "学院路", "万塘路", "翠苑街", "文三西路", "湖墅路"),
    "古荡街道": (
        "天目山路",
        "益乐路",
        "古墩路",
        "文二西路",
        "紫荆花路",
        "文三路",
        "学院北路",
        "古荡湾路",
    ),
    "西湖街道": (
        "龙井路",
        "满觉陇路",
        "虎跑路",
        "梅灵南路",
        "杨梅岭路",
        "九溪路",
        "之江路",
        "玉泉路",
    ),
    "留下街道": (
        "留和路",
        "天目山西路",
        "留下横街",
        "屏峰路",
        "杭徽路",
        "西穆坞路",
        "小和山路",
        "东岳路",
    ),
    "转塘街道": ("之江路", "转塘街", "象山路", "霞鸣街", "美院南路", "云栖路", "双流路", "凤起路"),
    "蒋村街道": (
        "五常大道",
        "紫金港路",
        "文一西路",
        "文二西路",
        "蒋村街",
        "余杭塘路",
        "天目山西路",
        "双龙街",
    ),
    "灵隐街道": ("灵隐路", "天竺路", "西溪路", "玉古路", "曙光路", "求是路", "青芝坞路", "浙大路"),
    "文新街道": (
        "文一西路",
        "文二西路",
        "古墩路",
        "丰潭路",
        "文新路",
        "花蒋路",
        "竞舟路",
        "申花路",
    ),
    "三墩镇": ("振华路", "古墩路", "紫金港路", "石祥西路", "墩余路", "厚仁路", "三墩路", "西园路"),
    "双浦镇": ("双浦路", "袁浦路", "之江路", "灵山街", "铜鉴湖路", "杭新路", "东江嘴路", "双灵路"),
    # 西湖风景名胜区 (管理处)
    "西湖风景名胜区湖滨管理处": ("湖滨路", "南山路", "北山街", "圣塘路", "平海路", "长生路"),
    "西湖风景名胜区北山管理处": ("北山街", "孤山路", "白堤", "葛岭路", "栖霞岭路", "西泠桥"),
    "西湖风景名胜区灵隐管理处": ("灵隐路", "天竺路", "法云弄", "龙井路", "北高峰路", "飞来峰路"),
    "西湖风景名胜区花港管理处": ("杨公堤", "南山路", "花港路", "虎跑路", "三台山路", "苏堤"),
    "西湖风景名胜区钱江管理处": ("之江路", "虎跑路", "九溪路", "龙井路", "梅灵南路", "满觉陇路"),
    "西湖风景名胜区玉皇山管理处": (
        "玉皇山路",
        "南复路",
        "凤凰山路",
        "八卦田路",
        "紫来洞路",
        "慈云岭路",
    ),
    "西湖风景名胜区西湖水域管理处": ("湖滨路", "北山街", "南山路", "苏堤", "白堤", "杨公堤"),
}

DISTRICT_ROADS: dict[str, tuple[str, ...]] = {
    "上城区": ("解放路", "清泰街", "延安路", "中山中路", "建国南路", "望江路", "江城路", "秋涛路"),
    "下城区": (
        "体育场路",
        "朝晖路",
        "中山北路",
        "凤起路",
        "建国北路",
        "东新路",
        "文晖路",
        "环城北路",
    ),
    "江干区": ("秋涛路", "凯旋路", "天城路", "钱江路", "机场路", "艮山西路", "新塘路", "庆春东路"),
    "拱墅区": ("莫干山路", "湖墅南路", "大关路", "上塘路", "小河路", "湖州街", "丽水路", "登云路"),
    "西湖区": ("文三路", "天目山路", "古墩路", "文一路", "学院路", "教工路", "留和路", "之江路"),
    "西湖风景名胜区": ("龙井路", "北山街", "杨公堤", "南山路", "虎跑路", "灵隐路"),
}

GENERIC_ROADS = ("人民路", "解放路", "建设路", "中山路", "新华路", "和平路", "文化路", "环城路")

_ROAD_SUFFIXES = ("路", "街", "巷", "弄", "大道", "直街", "横街")
_COMPOUND_SUFFIXES = (
    "新村",
    "花园",
    "小区",
    "家园",
    "公寓",
    "苑",
    "西苑",
    "北苑",
    "南苑",
    "东苑",
    "嘉园",
    "雅苑",
)
_SPOTS = (
    "农贸市场",
    "菜场",
    "公交站",
    "小学",
    "中学",
    "幼儿园",
    "医院",
    "超市",
    "公园",
    "广场",
    "地铁站",
    "桥头",
    "地下通道",
    "停车场",
)
_SITE_WORDS = ("建筑工地", "在建工地", "道路施工工地", "管网改造工地", "住宅项目工地")
_SHOP_TYPES = (
    "水果店",
    "小吃店",
    "五金店",
    "便利店",
    "服装店",
    "餐馆",
    "早餐店",
    "理发店",
    "烟酒店",
    "汽修店",
    "电动车行",
    "家具店",
    "超市",
    "面馆",
    "手机店",
    "建材店",
    "洗车店",
    "烧烤店",
    "杂货店",
    "干洗店",
)
_SHOP_NAMES = (
    "鑫鑫",
    "阿明",
    "老王",
    "兴旺",
    "百姓",
    "好又多",
    "佳佳",
    "金福",
    "永盛",
    "红星",
    "顺发",
    "天天",
    "大众",
    "惠民",
    "聚福",
    "小胡",
    "阿强",
    "新新",
    "万家",
    "福满",
    "祥和",
    "乐乐",
    "开心",
    "全家福",
    "阿三",
    "老陈",
    "美佳",
    "华兴",
)

_FOOD_SHOPS = ("小吃店", "餐馆", "早餐店", "面馆", "烧烤店", "饭店", "火锅店", "大排档", "快餐店")
# Which shops a category's complaints are about (others: any shop).
SHOP_TYPES: dict[str, tuple[str, ...]] = {
    "cooking_fumes": _FOOD_SHOPS,
    "shopfront": _SHOP_TYPES + _FOOD_SHOPS,
    "living_noise": ("服装店", "手机店", "超市", "便利店", "水果店", "鞋店", "药店", "KTV", "酒吧"),
}

# How each category's problems are usually located (kind → weight).
PLACE_KINDS: dict[str, dict[str, int]] = {
    "living_noise": {"building": 6, "shop": 2, "spot": 2},
    "construction_noise": {"site": 8, "junction": 2},
    "street_vendor": {"junction": 4, "door": 3, "spot": 3},
    "illegal_building": {"building": 8, "door": 2},
    "illegal_dog": {"building": 9, "spot": 1},
    "vehicle_soiling": {"junction": 5, "door": 5},
    "illegal_parking": {"door": 4, "junction": 3, "building": 2, "spot": 1},
    "shopfront": {"shop": 1},
    "muck_dumping": {"spot": 3, "junction": 3, "door": 2, "site": 2},
    "cooking_fumes": {"shop": 1},
    "outdoor_ads": {"shop": 3, "door": 2, "junction": 1},
    "occupying_road": {"door": 3, "building": 3, "shop": 2},
    "garbage_clearing": {"building": 5, "door": 2, "spot": 1},
}
DEFAULT_PLACE_KINDS = {"door": 4, "junction": 2, "building": 3, "spot": 1}


@dataclass(frozen=True)
class Locality:
    """Where a place lies: names as the configuration gives them."""

    district: str
    street: str | None
    community: str | None
    roads: tuple[str, ...]
    compounds: tuple[str, ...]


@dataclass(frozen=True)
class Place:
    """One concrete spot. ``key`` identifies the spot (a repeat is at the same key); ``zone`` is
    coarser — new issues of one category are kept apart by zone, so that only planted repeats
    share a place with an earlier complaint."""

    key: str
    zone: str
    kind: str
    base: str  # "文三路398号", "翠苑一区12幢", "文三路与学院路交叉口"
    shop: str | None
    district: str

    @property
    def short(self) -> str:
        return f"{self.base}{self.shop or ''}"

    def address(self, variant: int = 0) -> str:
        """The address as a complainant gives it; repeats word the same spot differently."""
        text = f"{self.district}{self.short}"
        if variant == 1:
            return f"杭州市{text}"
        if variant == 2:
            return f"{text}{'门口' if self.kind in ('door', 'shop') else '附近'}"
        return text


def roads_for(street: str | None, district: str, communities: list[str]) -> tuple[str, ...]:
    """Real roads of the street, else of its district, plus roads named by its communities."""
    roads = list(STREET_ROADS.get(street or "", ()))
    if not roads:
        roads = list(DISTRICT_ROADS.get(district, ()))
    for name in communities:
        stem = community_stem(name)
        if stem.endswith(_ROAD_SUFFIXES) and stem not in roads:
            roads.append(stem)
    if len(roads) < 4:
        roads.extend(road for road in GENERIC_ROADS if road not in roads)
    return tuple(roads)


def compounds_for(communities: list[str], roads: tuple[str, ...]) -> tuple[str, ...]:
    """Residential compounds (小区): named after the communities, else after the roads."""
    result: list[str] = []
    for name in communities:
        stem = community_stem(name)
        if not stem or stem.endswith(_ROAD_SUFFIXES):
            continue
        if not stem.endswith(("区", "苑", "园", "村", "坊", "里", "府", "城", "湾")):
            stem += "小区"
        result.append(stem)
    for index, road in enumerate(roads):
        stem = re.sub(r"(大道|直街|横街|路|街|巷|弄)$", "", road)
        if stem:
            result.append(stem + _COMPOUND_SUFFIXES[(index * 7 + len(stem)) % 12])
    return tuple(dict.fromkeys(result))


def community_stem(name: str) -> str:
    return re.sub(r"(社区|村|生活区)$", "", name)


def make_place(rng: random.Random, kind: str, where: Locality, category: str = "") -> Place:
    """A spot of the given kind. Keys are scoped by district, not by street or community: the
    same address text in two communities of a district is one place to a reader."""
    scope = where.district
    roads, district = where.roads, where.district
    road = rng.choice(roads)
    if kind == "building" and where.compounds:
        compound = rng.choice(where.compounds)
        block = rng.randint(1, 36)
        base = f"{compound}{block}幢"
        return Place(
            f"{scope}|b|{compound}|{block}",
            f"{scope}|b|{compound}|{block // 3}",
            kind,
            base,
            None,
            district,
        )
    if kind == "junction" and len(roads) > 1:
        a, b = rng.sample(roads, 2)
        a, b = sorted((a, b))
        return Place(
            f"{scope}|j|{a}|{b}", f"{scope}|j|{a}|{b}", kind, f"{a}与{b}交叉口", None, district
        )
    if kind == "spot":
        spot = rng.choice(_SPOTS)
        return Place(
            f"{scope}|p|{road}|{spot}",
            f"{scope}|p|{road}|{spot}",
            kind,
            f"{road}{spot}",
            None,
            district,
        )
    if kind == "site":
        number = rng.randint(1, 120) * 10
        word = rng.choice(_SITE_WORDS)
        return Place(
            f"{scope}|s|{road}|{number}",
            f"{scope}|s|{road}|{number // 200}",
            kind,
            f"{road}{number}号{word}",
            None,
            district,
        )
    number = rng.randint(1, 680)
    zone = f"{scope}|d|{road}|{number // 40}"
    if kind == "shop":
        shop = rng.choice(_SHOP_NAMES) + rng.choice(SHOP_TYPES.get(category, _SHOP_TYPES))
        return Place(f"{scope}|d|{road}|{number}", zone, kind, f"{road}{number}号", shop, district)
    return Place(f"{scope}|d|{road}|{number}", zone, "door", f"{road}{number}号", None, district)


# ---- complainants ------------------------------------------------------------------------

SURNAMES = (
    "王李张陈刘杨黄吴周徐孙朱胡沈钱金俞楼方郑何汪叶蒋潘陆许韩章吕姚童应邵毛丁傅冯郭"
    "马高林罗梁宋唐董程袁鲍赵孔施顾谢曹严华范"
)
GIVEN_NAMES = (
    "建国",
    "伟",
    "芳",
    "丽",
    "强",
    "敏",
    "静",
    "军",
    "杰",
    "磊",
    "娟",
    "勇",
    "艳",
    "涛",
    "明",
    "超",
    "霞",
    "平",
    "刚",
    "桂英",
    "秀英",
    "晓东",
    "海燕",
    "志强",
    "国平",
    "建华",
    "丽萍",
    "红",
    "玲",
    "斌",
    "浩",
    "宇",
    "婷",
    "雪梅",
    "亚萍",
    "卫东",
    "小燕",
    "国庆",
    "建平",
    "美华",
    "金花",
    "佳怡",
    "子涵",
    "一鸣",
    "晓峰",
    "文彬",
    "立新",
    "春燕",
)
_MOBILE_PREFIXES = (
    "130",
    "131",
    "132",
    "133",
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "153",
    "155",
    "156",
    "157",
    "158",
    "159",
    "170",
    "173",
    "176",
    "177",
    "180",
    "181",
    "182",
    "183",
    "186",
    "187",
    "188",
    "189",
    "191",
    "198",
    "199",
)


def person(rng: random.Random, *, anonymous_share: float = 0.06) -> tuple[str | None, str | None]:
    """A complainant: (name, mobile). Some give no name; a few give neither."""
    phone = rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    roll = rng.random()
    if roll < anonymous_share:
        return None, (phone if rng.random() < 0.6 else None)
    surname = rng.choice(SURNAMES)
    if roll < 0.45:
        return f"{surname}先生", phone
    if roll < 0.80:
        return f"{surname}女士", phone
    return surname + rng.choice(GIVEN_NAMES), phone


def staff_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


# ---- complaint texts ---------------------------------------------------------------------

SLOTS: dict[str, tuple[str, ...]] = {
    "when": (
        "最近一段时间",
        "这几天",
        "近一个月来",
        "最近半个月",
        "连续一个星期",
        "每天",
        "这段时间",
        "从上个月开始",
        "最近",
    ),
    "night": (
        "晚上十点以后",
        "晚上十一点多",
        "半夜十二点",
        "凌晨一两点",
        "深夜",
        "每天晚上",
        "夜里",
    ),
    "late": ("晚上十点多", "晚上十一点", "半夜", "深夜十二点", "凌晨"),
    "impact": (
        "严重影响周边居民休息",
        "家里老人小孩根本睡不着",
        "附近居民苦不堪言",
        "严重影响正常生活",
        "周边居民意见很大",
        "晚上根本无法入睡",
    ),
    "ask": (
        "请城管部门尽快处理。",
        "希望有关部门管一管。",
        "请尽快派人查处。",
        "要求尽快处理并给予答复。",
        "请相关部门到现场核实处理。",
        "希望城管能彻底解决。",
        "请尽快处理，谢谢。",
        "请城管执法部门依法处理。",
    ),
    "vendor_impact": (
        "影响行人通行",
        "造成交通拥堵",
        "垃圾扔得到处都是",
        "严重影响市容",
        "占用了整条人行道",
        "早晚高峰堵得走不动",
    ),
    "soil_impact": (
        "路面脏得不成样子",
        "晴天尘土飞扬",
        "严重影响市容",
        "骑车经过很容易滑倒",
        "路过的行人衣服都被溅脏了",
    ),
    "goods": (
        "水果",
        "烧烤",
        "臭豆腐",
        "煎饼果子",
        "小商品",
        "蔬菜",
        "炒货",
        "袜子",
        "手机贴膜",
        "糖炒栗子",
        "玉米",
        "杨梅",
        "西瓜",
        "鞋子",
        "盆栽花卉",
        "麻辣烫",
        "葱油饼",
    ),
    "shop": _SHOP_TYPES,
    "venue": ("KTV", "酒吧", "茶楼", "棋牌室", "夜宵店", "歌厅"),
    "site": _SITE_WORDS,
    "machine": ("打桩机", "挖掘机", "破碎锤", "混凝土泵车", "切割机", "电锯", "振动棒"),
    "vehicle": ("渣土车", "泥浆车", "搅拌车", "运输车", "货车"),
    "spot": ("菜场", "学校", "医院", "地铁站", "超市", "公园"),
    "dept": ("物业公司", "交警部门", "公交公司", "住建部门", "人力社保部门", "社区"),
}

TEMPLATES: dict[str, tuple[str, ...]] = {
    "living_noise": (
        "[bp]{place}附近每天晚上都有人跳广场舞，音响开得很大，一直放到{late}，{impact}。{ask}",
        "[dbj]{place}有一家{shop}门口放着高音喇叭循环播放促销广告，从早到晚不停，{impact}。{ask}",
        "[b]反映{place}：楼上住户{when}一直在装修，{night}还在电钻敲墙，{impact}，{ask}",
        "[dsjp]{place}的夜宵排档{when}每晚营业到凌晨，食客喝酒划拳大声喧哗，{impact}。{ask}",
        "[b]我住在{place}，旁边的{venue}晚上音乐声很大，低音震得窗户都在响，{impact}。{ask}",
        "[p]{place}广场上晚上有人用扩音器唱歌，声音非常大，周边居民意见很大，{ask}",
        "[bds]{place}一楼商铺每天早上六点多就开始用喇叭叫卖，{impact}。{ask}",
        "[b]投诉{place}：{when}{night}有人在楼下打麻将、大声喧哗，多次劝说无效，{ask}",
        "[b]{place}有住户在家里开棋牌室，每天半夜人来人往，吵闹声不断，{impact}。{ask}",
        "[bdj]{place}旁边的{shop}门口放了两个大音箱，音乐放得震天响，行人路过都受不了，{ask}",
        "[bp]{place}附近有人每天清晨在空地上敲锣打鼓、吹喇叭，声音很大，{impact}，{ask}",
        "[ds]市民反映{place}的{venue}营业到深夜，唱歌声音传得很远，{impact}。{ask}",
        "[b]{place}楼下的{shop}{when}把音响搬到门外招揽生意，噪音很大，{ask}",
        "[b]{place}有装修工人{night}还在切割瓷砖，违反装修作业时间规定，{impact}，{ask}",
        "{place}周边夜市摊位收摊时搬东西乒乒乓乓，每天凌晨一两点还很吵，{impact}。{ask}",
        "{place}有广告宣传车反复播放喇叭，声音刺耳，{impact}，{ask}",
        "[b]家住{place}，{when}楼下有人晚上在绿地里放音乐跳舞到{late}，{impact}，{ask}",
    ),
    "construction_noise": (
        "{place}{night}还在施工，{machine}声音非常大，{impact}。{ask}",
        "反映{place}夜间违规施工，{machine}一直响到{late}，请查一下有没有夜间施工许可。",
        "{place}{when}每天早上五点多就开始干活，{impact}，{ask}",
        "{place}{night}用破碎锤敲路面，声音震耳欲聋，附近居民根本无法入睡。{ask}",
        "{place}混凝土泵车整夜作业，轰鸣声不断，{impact}，请城管尽快到现场制止。",
        "投诉{place}：{when}连续夜间施工，打桩声一下接一下，{impact}。{ask}",
        "{place}中午和晚上都不停工，切割钢筋的声音特别刺耳，{ask}",
        "{place}晚上十点以后还有渣土车进出、挖掘机作业，噪声很大。{ask}",
        "我家在{place}附近，孩子马上要考试了，工地{night}还在施工，{impact}，请立即制止。",
        "{place}围挡内{night}一直在施工作业，{machine}声音很大，{impact}，{ask}",
        "{place}{when}晚上灯火通明地施工，噪声扰民严重，打电话给施工方无人理睬，{ask}",
        "{place}凌晨还在卸钢管，哐当哐当的声音把人吵醒，{ask}",
        "反映{place}管道开挖施工夜间不停，机器轰鸣，{impact}。请问这种情况有没有审批？",
        "{place}附近{night}有人用电锯、电钻作业，{impact}，希望城管部门夜间去查一下。",
        "{place}周末和节假日也全天施工，{machine}声一直不停，{impact}，{ask}",
        "{place}在建大楼夜间浇筑混凝土，振动棒的声音很大，{impact}。{ask}",
    ),
    "street_vendor": (
        "{place}{when}有无证摊贩占道卖{goods}，{vendor_impact}，{ask}",
        "{place}每天傍晚聚集很多流动摊贩，卖{goods}的三轮车把人行道都占满了，{ask}",
        "反映{place}有人摆地摊卖{goods}，{vendor_impact}。{ask}",
        "{place}早上有早餐摊位占道经营，油烟和垃圾很多，{ask}",
        "{place}晚上有烧烤摊占道经营到深夜，烟熏火燎，{impact}，{ask}",
        "[dj]{place}附近的{spot}门口流动摊贩越来越多，{vendor_impact}，城管来了就跑，走了又回来。",
        "{place}有人用三轮车卖{goods}，车子停在路口，{vendor_impact}。{ask}",
        "{place}夜市摊贩乱摆乱放，{goods}摊一直摆到马路上，{ask}",
        "{place}人行道上有人铺块布就卖{goods}，行人只能走到机动车道上，很危险。{ask}",
        "投诉{place}：{when}无证摊贩卖{goods}，摊点周边垃圾遍地，{ask}",
        "[dj]{place}附近学校放学时有很多卖{goods}的小摊，食品卫生没有保障，还影响交通，{ask}",
        "[dj]{place}菜场外面有很多人挑担卖菜，把路都堵了，{ask}",
        "[dj]{place}桥上有人摆摊卖{goods}，{vendor_impact}，{ask}",
        "[dj]{place}公交站旁边有流动摊贩卖{goods}，等车的人都没地方站，{ask}",
        "{place}{when}晚上有人开着面包车卖{goods}，还用喇叭叫卖，{ask}",
        "[dj]{place}地下通道里有人摆摊卖{goods}，通道本来就窄，行人通行很不方便。{ask}",
    ),
    "illegal_building": (
        "[b]{place}有住户在楼顶搭建彩钢板房，{when}一直在施工，{ask}",
        "[b]{place}一楼住户把院子围起来加盖了房子，占用公共绿地，{ask}",
        "[b]反映{place}有人私自把阳台往外扩建，影响邻居采光，{ask}",
        "[b]{place}顶楼住户在屋顶加层搭建阳光房，存在安全隐患，请城管部门依法查处。",
        "[d]{place}有人在绿化带上搭建简易棚屋，用来堆放废品，{ask}",
        "[d]{place}的商铺在门前违章搭建雨棚和玻璃房，占用人行道，{ask}",
        "{place}{when}有人在偷偷搭建违章建筑，晚上施工白天停，请尽快制止。",
        "{place}有业主在院子里浇筑地基准备建房，{ask}",
        "投诉{place}：一楼住户私自开挖地下室，可能影响整栋楼的安全，{ask}",
        "[d]{place}有人在河道边搭建违章建筑，已经建了两层，{ask}",
        "[b]{place}楼顶搭了一个很大的铁皮棚，台风天很危险，向物业反映没用，{ask}",
        "[b]{place}有人把车库改成住人的房间并往外扩建，{ask}",
        "[d]{place}旁边空地上有人圈地建房，没有任何审批手续，{ask}",
        "[b]{place}的住户把露台全部封闭改成房间，还加高了一层，{ask}",
        "{place}有业主不顾邻居反对在楼顶加盖房屋，{when}天天在运建材，{ask}",
        "[d]{place}沿街商户违规搭建钢结构夹层，{ask}",
    ),
    "illegal_dog": (
        "{place}有住户养了一条大型犬，每天遛狗不牵绳，小孩子都不敢出门，{ask}",
        "{place}有人养了好几条狗，天天叫个不停，{impact}。{ask}",
        "反映{place}有人饲养禁养的烈性犬，经常在小区里乱跑，{ask}",
        "{place}遛狗的人不清理狗粪，绿化带和人行道上到处都是，{ask}",
        "{place}有住户的狗前几天咬伤了邻居家的小孩，狗主人还是不拴狗，{ask}",
        "{place}有人养狗没有办证，也不打疫苗，{ask}",
        "[pbd]{place}附近有很多流浪狗聚集，晚上成群结队地叫，还追人，{ask}",
        "[b]{place}有人在楼道里养狗，气味很大，狗一直在叫，{ask}",
        "投诉{place}：每天早上有人带着大狗散放，{ask}",
        "[sd]{place}有人在店里养了一条藏獒，就拴在门口，路人经过很害怕，{ask}",
        "[b]{place}一楼住户在院子里养了四五条狗，{impact}，{ask}",
        "{place}有人晚上遛狗不牵绳，狗冲着行人狂叫，{ask}",
        "{place}有人在家里繁殖售卖小狗，狗叫声和臭味严重影响周边居民，{ask}",
        "[b]{place}电梯里经常有人带大狗乘坐，不戴嘴套，{ask}",
        "{place}附近{shop}老板养的狗经常在门口随地大小便，{ask}",
    ),
    "vehicle_soiling": (
        "{place}{when}渣土车{night}经过，车上泥土撒了一路，{soil_impact}，{ask}",
        "{place}附近工地出来的车辆车轮带泥上路，路面全是泥浆，{ask}",
        "反映{place}有{vehicle}沿路抛洒沙石，{soil_impact}。{ask}",
        "{place}路面被{vehicle}撒漏的泥浆污染，下雨天又滑又脏，{ask}",
        "{place}附近工地门口没有冲洗设施，进出车辆把整条路都弄脏了，{ask}",
        "{place}每天晚上有{vehicle}经过，车厢没有密闭，{soil_impact}，{ask}",
        "{place}有搅拌车在路边冲洗罐体，水泥浆流得满地都是，{ask}",
        "投诉{place}：{vehicle}超载抛洒，路面上都是碎石，电动车经过很危险，{ask}",
        "{place}一带路面上都是{vehicle}上漏下来的泥土，晴天扬尘雨天泥泞，{ask}",
        "{place}的{vehicle}夜间运输时不盖篷布，沿途洒落，{ask}",
        "{place}有货车运输垃圾时沿路滴漏污水，气味难闻，{ask}",
        "{place}{when}经常有{vehicle}转弯时撒落泥块，{soil_impact}，{ask}",
        "{place}附近搅拌站的车辆出场不冲洗，{soil_impact}，{ask}",
        "{place}有车辆漏油污染路面，已经有电动车滑倒了，{ask}",
        "{place}路面{when}被泥浆车污染，环卫工人刚扫完又脏了，{ask}",
    ),
    "illegal_parking": (
        "{place}人行道上{when}停满了机动车，行人只能走机动车道，{ask}",
        "[b]{place}有车辆长期停在消防通道上，万一有火灾消防车进不来，{ask}",
        "[b]反映{place}经常有车辆乱停，把小区出入口都堵住了，{ask}",
        "{place}盲道上停满了汽车和电动车，{ask}",
        "{place}有一辆车停在路边好几个月没动过，车上全是灰，疑似僵尸车，{ask}",
        "{place}{when}有车辆随意停放，造成交通拥堵，{ask}",
        "{place}附近{shop}的顾客把车直接停在人行道上，{ask}",
        "{place}晚上很多车停在人行道和绿化带上，绿化都被压坏了，{ask}",
        "[dj]投诉{place}：有车辆停在公交站台，公交车只能在路中间停车上下客，很危险，{ask}",
        "[dj]{place}附近学校接送孩子的车辆乱停，每天早晚高峰都堵得水泄不通，{ask}",
        "[d]{place}的人行道被汽修店的待修车辆占满，{ask}",
        "{place}有人用地锁、石墩占用公共区域停车，{ask}",
        "[dj]{place}附近医院门口车辆乱停，救护车都进不去，{ask}",
        "{place}有货车长期停在路边，挡住了居民出行，{ask}",
        "{place}人行道上停放的车辆把地砖都压碎了，{ask}",
        "{place}的非机动车道被机动车占用停车，骑电动车的人只能绕行，{ask}",
    ),
    "shopfront": (
        "{place}的{shopname}把货物摆到店门外的人行道上，{ask}",
        "{place}的{shopname}长期跨门经营，占用人行道，行人通行困难，{ask}",
        "反映{place}的{shopname}在门口摆桌子椅子做生意，{ask}",
        "{place}的{shopname}在人行道上修车、洗车，地面上都是油污，{ask}",
        "{place}的{shopname}和旁边几家商铺都把商品摆在门外，人行道只剩一条缝，{ask}",
        "{place}的{shopname}在店外设摊加工食品，油烟很大，{ask}",
        "{place}的{shopname}晚上把桌子摆到人行道上卖夜宵，{ask}",
        "{place}的{shopname}在店门口堆放纸箱和杂物，{ask}",
        "投诉{place}的{shopname}占道经营：{when}把货架摆出店外一两米，{ask}",
        "{place}的{shopname}在人行道上搭建临时货架，{ask}",
        "{place}的{shopname}在门口的行道树上拉绳挂商品，{ask}",
        "{place}的{shopname}每天在门口摆放电动车，把人行道都占了，{ask}",
        "{place}的{shopname}店员在门外的人行道上切菜洗碗，污水横流，{ask}",
        "{place}的{shopname}把家具、建材堆在店门口，{ask}",
        "{place}的{shopname}{when}在门外搭遮阳棚扩大经营面积，{ask}",
    ),
    "muck_dumping": (
        "{place}{when}有人夜里偷倒建筑垃圾，已经堆成小山了，{ask}",
        "{place}旁边的空地上被倒了很多装修垃圾，{ask}",
        "反映{place}有渣土车半夜在路边倾倒渣土，{ask}",
        "{place}绿化带里被人倒了碎砖和废土，{ask}",
        "{place}河边有人乱倒建筑垃圾，污染河道，{ask}",
        "[b]{place}装修垃圾没人清运，随意堆在楼下，{ask}",
        "{place}{night}有车辆在这里偷倒泥土，早上起来路边全是渣土，{ask}",
        "投诉{place}：有人把拆下来的建筑垃圾倒在人行道上，{ask}",
        "{place}附近空地已经成了建筑垃圾倾倒点，天天有车来倒，{ask}",
        "{place}桥下有人倾倒大量渣土，堵塞了排水沟，{ask}",
        "{place}把渣土直接倒在路边，扬尘很大，{ask}",
        "{place}有三轮车拉着装修垃圾到这里倒，{ask}",
        "{place}附近的田边被倒了很多建筑垃圾，{ask}",
        "[b]{place}垃圾房旁边堆满了装修垃圾，{ask}",
        "{place}路边的渣土堆越来越大，晚上没有警示，很危险，{ask}",
    ),
    "occupying_road": (
        "{place}楼道和门口堆满了杂物，影响通行和消防安全，{ask}",
        "{place}有人在人行道上堆放建材，{when}一直没有清理，{ask}",
        "{place}有废品收购点把废品堆到路上，{ask}",
        "反映{place}公共通道被人长期堆放杂物，{ask}",
        "{place}的空地上堆满了旧家具和纸板，{ask}",
    ),
    "garbage_clearing": (
        "{place}的垃圾桶{when}都满出来了，没人清运，臭气熏天，{ask}",
        "{place}垃圾站清运不及时，苍蝇蚊子很多，{ask}",
        "反映{place}生活垃圾堆积好几天了，{ask}",
        "{place}的垃圾房旁边堆满垃圾，夏天味道很大，{ask}",
        "{place}垃圾车每天晚上清运时声音很大，垃圾还撒在地上，{ask}",
    ),
    "littering": (
        "{place}路面上到处是垃圾和烟头，没人打扫，{ask}",
        "{place}有饭店把污水直接倒在路边，污水横流，{ask}",
        "反映{place}环境卫生很差，垃圾遍地，{ask}",
        "{place}有人从楼上往下乱扔垃圾，{ask}",
    ),
    "public_toilets": (
        "{place}的公共厕所很脏，好几天没人打扫，{ask}",
        "{place}的公厕白天也锁着门，市民如厕很不方便，{ask}",
        "反映{place}公厕冲水设备坏了，臭气很大，{ask}",
        "{place}的公共厕所漏水，地面很滑，{ask}",
    ),
    "outdoor_ads": (
        "{place}墙上和电线杆上贴满了小广告，{ask}",
        "{place}的店招广告牌摇摇欲坠，存在安全隐患，{ask}",
        "反映{place}有人在人行道上喷涂办证小广告，{ask}",
        "{place}的电子屏广告晚上很亮，照得家里睡不着，{ask}",
        "{place}有商家在行道树上挂横幅，{ask}",
    ),
    "cooking_fumes": (
        "{place}的{shopname}油烟直排，呛得楼上住户不敢开窗，{ask}",
        "反映{place}的{shopname}没有安装油烟净化器，油烟味很大，{ask}",
        "{place}的{shopname}烟道直接对着居民楼，{when}油烟不断，{ask}",
        "{place}的{shopname}在门口露天烧烤，油烟很大，{ask}",
        "{place}的{shopname}厨房排烟口对着人行道，行人经过被熏得受不了，{ask}",
    ),
    "open_burning": (
        "{place}有人在空地上焚烧垃圾，浓烟很大，{ask}",
        "反映{place}有人烧树叶和杂物，烟味飘进家里，{ask}",
        "{place}{night}有人在焚烧电线，气味刺鼻，{ask}",
        "{place}工地上有人焚烧废料，{ask}",
    ),
    "dust": (
        "{place}工地裸土没有覆盖，风一吹尘土飞扬，{ask}",
        "反映{place}拆迁现场扬尘很大，也不洒水，{ask}",
        "{place}附近工地扬尘严重，家里窗台上都是灰，{ask}",
        "{place}的搅拌站粉尘很大，{ask}",
    ),
    "road_damage": (
        "{place}人行道地砖松动，下雨天一踩就溅一身水，{ask}",
        "{place}路面有个大坑，{when}已经有好几个人骑车摔倒了，{ask}",
        "反映{place}道路破损严重，{ask}",
        "{place}路面塌陷，存在安全隐患，{ask}",
    ),
    "manhole_covers": (
        "{place}有一个窨井盖缺失，很危险，{ask}",
        "{place}的井盖松动，车子开过就哐当响，{ask}",
        "反映{place}雨水井盖破损，晚上看不清容易掉下去，{ask}",
        "{place}井盖下沉，车辆经过很颠簸，{ask}",
    ),
    "street_lights": (
        "{place}的路灯{when}晚上都不亮，一片漆黑，{ask}",
        "反映{place}路灯白天也亮着，浪费电，{ask}",
        "{place}有一根路灯杆被车撞歪了，{ask}",
        "{place}好几盏路灯坏了，晚上走路很不安全，{ask}",
    ),
    "greening": (
        "{place}的行道树树枝伸进了居民家里，{ask}",
        "{place}有人毁坏绿化种菜，{ask}",
        "反映{place}的绿地被人占用堆放杂物，{ask}",
        "{place}有一棵树被台风吹歪了，随时可能倒下，{ask}",
    ),
    "other_city": (
        "{place}环境秩序很乱，管理混乱，{ask}",
        "反映{place}有人长期占用公共区域，{ask}",
        "{place}有人在河边乱搭晾衣架，影响市容，{ask}",
    ),
    "property_management": (
        "{place}小区物业不作为，电梯坏了一个月都没修，请有关部门督促。",
        "反映{place}物业公司乱收停车费，{ask}",
        "{place}的物业和业委会有矛盾，小区管理混乱，希望有关部门协调。",
        "{place}小区门禁坏了很久，物业一直不修。",
    ),
    "traffic_policy": (
        "{place}的红绿灯时间太短，行人来不及过马路，请相关部门调整。",
        "反映{place}早晚高峰拥堵严重，希望增加交通疏导。",
        "{place}附近的公交线路调整后很不方便，希望恢复原线路。",
        "{place}路口经常有车辆闯红灯，希望加装电子警察。",
    ),
    "consultation": (
        "请问在{place}开店需要办理哪些手续？",
        "咨询一下，{place}附近的店招广告设置有什么规定？",
        "请问装修垃圾应该怎么处理，{place}附近有没有指定的堆放点？",
        "咨询养犬登记需要什么材料，我住在{place}。",
    ),
    "other_matters": (
        "我在{place}附近的工地干活，老板拖欠工资三个月了，请帮忙解决。",
        "反映{place}附近的学校入学划片不合理。",
        "{place}的拆迁补偿一直没有落实，请有关部门给个答复。",
        "{place}附近的医院看病排队太长，希望改进。",
    ),
}
GENERIC_TEMPLATES = (
    "{place}存在{category}问题，{when}一直没有解决，{ask}",
    "反映{place}的{category}问题，{ask}",
    "{place}{category}情况比较严重，{ask}",
)

TITLES: dict[str, tuple[str, ...]] = {
    "living_noise": (
        "广场舞噪音扰民",
        "夜间噪音扰民",
        "商铺喇叭扰民",
        "装修噪声扰民",
        "夜宵排档喧哗",
        "娱乐场所噪声扰民",
        "生活噪声扰民",
    ),
    "construction_noise": ("夜间施工噪声扰民", "工地夜间施工", "施工噪音扰民", "违规夜间施工"),
    "street_vendor": ("无证摊贩占道", "流动摊贩占道经营", "夜市摊贩扰民", "占道摆摊"),
    "illegal_building": ("违章搭建", "楼顶违法建筑", "私搭乱建", "违法建筑"),
    "illegal_dog": ("违法养犬", "遛狗不牵绳", "饲养烈性犬", "狗叫扰民"),
    "vehicle_soiling": ("渣土车抛洒", "车辆带泥上路", "路面被污染", "车辆撒漏"),
    "illegal_parking": ("车辆乱停", "占用人行道停车", "违法停车", "堵塞消防通道"),
    "shopfront": ("出店经营", "占道经营", "跨门经营", "店外摆放"),
    "muck_dumping": ("乱倒建筑垃圾", "偷倒渣土", "乱倒渣土", "装修垃圾乱倒"),
}

# The first pattern found in the text gives the title's phrase (else one of TITLES).
TITLE_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "living_noise": (
        ("广场舞|跳舞", "广场舞噪音扰民"),
        ("装修|瓷砖|电钻", "装修噪声扰民"),
        ("麻将|棋牌", "棋牌喧哗扰民"),
        ("排档|夜宵|夜市", "夜宵排档喧哗"),
        ("KTV|酒吧|歌厅|茶楼|唱歌", "娱乐场所噪声扰民"),
        ("喇叭|音箱|音响|叫卖|宣传车", "高音喇叭扰民"),
        ("敲锣", "晨练噪声扰民"),
    ),
    "construction_noise": (
        ("打桩", "夜间打桩扰民"),
        ("管道|路面", "道路施工噪声扰民"),
        ("五点", "清晨施工扰民"),
        ("周末|节假日", "节假日施工扰民"),
    ),
    "street_vendor": (
        ("烧烤", "烧烤摊占道经营"),
        ("早餐", "早餐摊占道经营"),
        ("夜市", "夜市摊贩占道"),
        ("菜", "卖菜摊贩占道"),
    ),
    "illegal_building": (
        ("楼顶|屋顶|顶楼|加层|加盖", "楼顶违章搭建"),
        ("阳台|露台", "违规扩建阳台"),
        ("院子|地基|圈地", "私搭乱建"),
        ("地下室", "私挖地下室"),
    ),
    "illegal_dog": (
        ("流浪狗", "流浪狗扰民"),
        ("咬", "犬只伤人"),
        ("狗粪|大小便", "犬粪污染"),
        ("叫", "狗叫扰民"),
        ("牵绳|嘴套|散放", "遛狗不牵绳"),
    ),
    "vehicle_soiling": (
        ("抛洒|撒", "车辆抛洒"),
        ("泥|冲洗", "车辆带泥上路"),
        ("漏油|污水", "车辆滴漏污染路面"),
    ),
    "illegal_parking": (
        ("消防通道", "堵塞消防通道"),
        ("盲道", "占用盲道停车"),
        ("僵尸车", "僵尸车占道"),
        ("公交", "占用公交站停车"),
        ("地锁|石墩", "私设地锁占道"),
        ("人行道", "占用人行道停车"),
    ),
    "shopfront": (
        ("修车|洗车", "占道修车洗车"),
        ("桌子|夜宵", "占道摆放桌椅"),
        ("堆放|纸箱|家具", "店外堆放杂物"),
    ),
    "muck_dumping": (
        ("装修垃圾", "装修垃圾乱倒"),
        ("渣土|泥土", "偷倒渣土"),
        ("建筑垃圾", "乱倒建筑垃圾"),
    ),
}

REPEAT_OPENINGS: dict[str, tuple[str, ...]] = {
    "same_complainant": (
        "又来了！",
        "我{days}天前已经反映过了，",
        "上次反映后还是没有解决，",
        "再次反映：",
        "第二次打电话了，",
        "之前投诉过，到现在还没处理，",
        "已经反映过一次，情况没有改善，",
        "还是{days}天前说的那个问题，",
    ),
    "other_complainant": (
        "",
        "",
        "我们好几户邻居都有意见，",
        "听说已经有人反映过了，",
        "我也来反映一下，",
        "和邻居一起反映：",
        "不知道有没有人反映过，",
    ),
    "recurrence": (
        "之前反映后处理过一段时间，现在又恢复原样了。",
        "整治了没几天又回来了，",
        "上次处理后好了一阵，最近又出现了，",
        "问题反复出现，",
        "之前反映过的老问题又来了，",
        "又来了！处理完没多久就反弹了，",
    ),
}
REPEAT_CLOSINGS = (
    "希望这次能彻底解决。",
    "请不要来一下就走，要长效管理。",
    "要求给个说法。",
    "请领导重视。",
    "",
)

_FORMATTER = string.Formatter()


@cache
def _fields(template: str) -> tuple[str, ...]:
    return tuple(name for _, name, _, _ in _FORMATTER.parse(template) if name)


_TAG = re.compile(r"^\[([bsdjpt]+)\]")
_KIND_LETTERS = {
    "b": "building",
    "s": "shop",
    "d": "door",
    "j": "junction",
    "p": "spot",
    "t": "site",
}


@cache
def _parsed(code: str) -> tuple[tuple[frozenset[str] | None, str], ...]:
    """Templates may start with a tag of the place kinds they suit: "[b]" (building),
    "[s]" shop, "[d]" door, "[j]" junction, "[p]" spot, "[t]" site; untagged suit all."""
    result = []
    for template in TEMPLATES.get(code, GENERIC_TEMPLATES):
        match = _TAG.match(template)
        kinds = frozenset(_KIND_LETTERS[c] for c in match.group(1)) if match else None
        result.append((kinds, template[match.end() :] if match else template))
    return tuple(result)


def templates_for(code: str) -> tuple[str, ...]:
    return tuple(body for _, body in _parsed(code))


@cache
def suitable(code: str, kind: str) -> tuple[int, ...]:
    """Indexes of the category's templates that read right for a place of this kind."""
    fitting = tuple(
        i for i, (kinds, _) in enumerate(_parsed(code)) if kinds is None or kind in kinds
    )
    return fitting or tuple(range(len(_parsed(code))))


def render(rng: random.Random, template: str, place: Place, category: str) -> str:
    values: dict[str, str] = {}
    for name in _fields(template):
        if name == "place":
            values[name] = place.base if "{shopname}" in template else place.short
        elif name == "shopname":
            values[name] = place.shop or rng.choice(_SHOP_NAMES) + rng.choice(_SHOP_TYPES)
        elif name == "category":
            values[name] = category
        else:
            values[name] = rng.choice(SLOTS[name])
    return template.format_map(values)


def complaint_text(
    rng: random.Random, code: str, category: str, place: Place, *, template: int | None = None
) -> tuple[int, str]:
    """(template index, text): a template suiting the place, or the given one with fresh
    details."""
    templates = templates_for(code)
    index = rng.choice(suitable(code, place.kind)) if template is None else template
    return index, render(rng, templates[index % len(templates)], place, category)


def repeat_text(
    rng: random.Random,
    kind: str,
    code: str,
    category: str,
    place: Place,
    *,
    template: int,
    days: int,
) -> str:
    """A repeat describes the same problem at the same place: mostly the earlier complaint's
    template with other details, sometimes other words altogether, framed as a repeat."""
    others = [i for i in suitable(code, place.kind) if i != template]
    if others and rng.random() < 0.35:
        template = rng.choice(others)
    _, body = complaint_text(rng, code, category, place, template=template)
    opening = rng.choice(REPEAT_OPENINGS[kind]).format(days=max(days, 1))
    closing = rng.choice(REPEAT_CLOSINGS)
    return f"{opening}{body}{closing}"


def title(rng: random.Random, code: str, category: str, place: Place, text: str = "") -> str:
    """Place and a short phrase; the phrase names what the text is about when it can. Other
    categories take the text's clause that names the place ("北高峰路128号有人乱扔垃圾")."""
    if code not in TITLES:
        clause = next((c for c in re.split(r"[，。！？：；]", text) if place.base in c), "")
        clause = re.sub(r"^(市民反映|反映|投诉|请问|咨询一下)", "", clause)
        if clause:
            return clause[:30]
    phrase = next(
        (p for pattern, p in TITLE_RULES.get(code, ()) if re.search(pattern, text)), None
    ) or rng.choice(TITLES.get(code, (category,)))
    return f"{place.short}{phrase}"[:30]


# ---- handling texts ----------------------------------------------------------------------

REPLY_ACTIONS: dict[str, tuple[str, ...]] = {
    "living_noise": (
        "已对当事人进行教育劝导，责令其降低音量并在规定时间内停止活动",
        "已会同社区、物业协调活动队伍调整活动时间和音量，并纳入夜间巡查",
        "已责令商户拆除门外音响设备，当事人表示不再使用高音喇叭",
    ),
    "construction_noise": (
        "已责令施工单位立即停止夜间施工，并依法立案处罚",
        "经查该工地持有夜间施工许可，已要求其采取降噪措施并提前公告",
        "已约谈施工单位负责人，要求严格遵守作业时间，中队将夜间复查",
    ),
    "street_vendor": (
        "已对占道摊贩进行劝离，并将该点位纳入早晚高峰重点巡查",
        "已依法暂扣经营工具，并引导摊贩到附近便民疏导点经营",
        "已联合街道、社区对该区域进行集中整治，安排人员定点值守",
    ),
    "illegal_building": (
        "已下发《责令限期改正通知书》，当事人承诺限期自行拆除",
        "已会同街道、社区对违法建筑实施拆除",
        "经调查该建筑为违法建筑，已立案调查，将依法拆除",
    ),
    "illegal_dog": (
        "已会同公安、社区上门宣传养犬管理规定，责令犬主办理登记并文明养犬",
        "已联系有关部门对流浪犬进行收容",
        "已对犬主进行教育，责令其遛犬时束犬链并及时清理犬粪",
    ),
    "vehicle_soiling": (
        "已查处抛洒车辆并责令清理路面，同时通报运输企业",
        "已责令工地设置车辆冲洗设施，并安排环卫作业单位清扫路面",
        "已在该路段设卡检查渣土运输车辆，依法处罚违规车辆",
    ),
    "illegal_parking": (
        "已对违停车辆贴单告知并联系车主挪车",
        "已联系交警部门加强该路段管理，并设置隔离桩",
        "已对长期停放车辆张贴限期移车通知，逾期将依法拖移",
    ),
    "shopfront": (
        "已责令店主将商品搬回店内，并重申门前三包责任",
        "已对当事人进行教育并依法作出处罚，中队将加强巡查",
        "已督促商户签订门前三包责任书，店外物品已清理",
    ),
    "muck_dumping": (
        "已组织清运堆放的建筑垃圾，并在该处设置警示牌、加强夜间巡查",
        "已查实倾倒车辆，依法立案处罚并责令清运",
        "已会同街道清理现场，并安装监控防止再次偷倒",
    ),
}
GENERIC_REPLY_ACTIONS = (
    "已责令责任单位限期整改",
    "已通知相关作业单位及时处理",
    "已督促责任人整改，并纳入日常巡查",
    "已对当事人进行教育并责令整改",
)
REPLY_OUTCOMES = (
    "目前已整改到位。",
    "现场已恢复正常。",
    "中队将继续跟踪，防止反弹。",
    "已电话告知投诉人处理结果。",
)

NOT_FILED_REASONS = (
    "经核实，该事项不属于城管执法职责范围，已告知投诉人向{dept}反映。",
    "该诉求属于{dept}职责，已建议投诉人向相关部门反映。",
    "非城管事项，已做好解释工作并告知办理渠道。",
)
NOT_FILED_UNACTIONABLE = (
    "投诉地址不详，多次联系投诉人未果，无法核实。",
    "投诉人反映的情况经电话核实已自行解决，不予立案。",
)
RETURN_REASONS = (
    "该地点不属于本中队辖区，请重新派遣。",
    "经现场核实，投诉地址位于相邻街道，退回。",
    "该事项不属于本单位职责，申请退回。",
)
EXTENSION_REASONS = (
    "涉及违法建筑拆除，需履行法定程序，申请延期。",
    "当事人不配合，需联合街道、社区共同处置，申请延期。",
    "需会同规划、住建等部门联合调查，申请延期。",
    "整改需要一定周期，已下发限期整改通知，申请延期。",
)
REFUSAL_NOTES = ("延期理由不充分，请按期办结。", "该问题群众反映强烈，请抓紧处置。")
REWORK_NOTES = (
    "回访不满意：市民反映问题仍然存在，请重新处置。",
    "回访中市民称处置人员未到现场核实，返工。",
    "回访不满意：整改不彻底，请加强管控后再答复。",
)
CLOSE_UNSOLVED_NOTES = (
    "经核查，已按规定处置，问题属历史遗留，作结案处理并纳入长效管理。",
    "经核查，承办单位已依法处置，投诉人诉求超出政策规定，作结案处理。",
)
URGE_REPEAT_NOTES = ("市民再次来电反映，请抓紧处置。", "该问题有新的投诉，请尽快办理。")
URGE_LATE_NOTES = ("已超过处置时限，请尽快办理并答复。", "案件即将超期，请抓紧处置。")
SUPERVISE_NOTES = ("该问题多人多次投诉，列入重点督办。", "群众关注度高，请区局重点督办。")
SUSPEND_NOTES = (
    "涉及历史遗留问题，需区政府牵头协调，挂账处理。",
    "需等待规划部门认定结论，暂时挂账。",
)
RESUME_NOTES = ("认定结论已出，恢复办理。", "协调会已召开，恢复办理。")
CALLBACK_NOTES = {
    "satisfied": ("回访市民，对处理结果表示满意。", "市民表示问题已解决。"),
    "basically": ("回访市民，表示基本满意，希望加强巡查。", "市民表示情况有所好转。"),
    "unsatisfied": ("回访市民，表示问题没有解决。", "市民对处理结果不满意。"),
}


def reply_text(rng: random.Random, code: str, who: str, place: Place, category: str) -> str:
    """处置答复: ``who`` went to the place (e.g. "西溪中队执法队员")."""
    action = rng.choice(REPLY_ACTIONS.get(code, GENERIC_REPLY_ACTIONS))
    finding = rng.choice((f"确有{category}情况", "情况属实", f"存在{category}问题"))
    outcome = rng.choice(REPLY_OUTCOMES)
    return f"经{who}现场核查，{place.short}{finding}。{action}，{outcome}"


def not_filed_reason(rng: random.Random, *, in_remit: bool) -> str:
    if not in_remit:
        return rng.choice(NOT_FILED_REASONS).format(dept=rng.choice(SLOTS["dept"]))
    return rng.choice(NOT_FILED_UNACTIONABLE)
