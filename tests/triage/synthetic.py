"""Small made-up labelled complaints for tests (the real dev files are not in the repository)."""

from __future__ import annotations

import csv
from pathlib import Path

PATTERNS = {
    "生活噪声": ["楼上{x}噪音太吵", "广场舞音响{x}扰民", "{x}酒吧深夜吵闹", "邻居{x}装修噪音"],
    "违法停车": [
        "{x}门口乱停车堵住消防通道",
        "车辆{x}停在人行道",
        "{x}僵尸车占道停车",
        "{x}违章停车",
    ],
    "非城管事项": ["{x}物业费太贵", "{x}学校入学政策咨询", "{x}拖欠工资", "{x}社保怎么办理"],
    "违法建筑": ["{x}楼顶违建加层", "{x}私搭乱建彩钢棚", "{x}阳台外扩违章搭建", "{x}违法建筑"],
}
PLACES = ["文三路", "小区", "东新路", "三墩", "学院路", "古墩路", "西溪", "天目山路"]


def rows() -> list[dict[str, str]]:
    out = []
    for label, patterns in PATTERNS.items():
        for i, pattern in enumerate(patterns):
            for j, place in enumerate(PLACES):
                text = pattern.format(x=place)
                out.append(
                    {
                        "mid": f"S{len(out)}",
                        "title": text[:8],
                        "detail": f"{text}，请处理。{i}{j}",
                        "label_zh": label,
                    }
                )
    return out


def write(path: Path) -> Path:
    data = rows()
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(data[0]))
        writer.writeheader()
        writer.writerows(data)
    return path
