"""A column mapping for files whose headers are not a hotline's: ``--map received_at=time
--map text=title+detail --map complainant_name=user --map upstream_ref=mid`` (or a mapping
file), so that a file such as the message board's ``messages.csv`` imports as it is.

With a mapping, only the mapped fields are read: each is one column, or several joined
("title+detail" → the title, a full stop, the detail); ``time_format`` reads times such as
"02/28/2023 11:45:00 PM" (``%m/%d/%Y %I:%M:%S %p``)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from civicdesk.intake.importing.report import UnreadableFile


@dataclass(frozen=True)
class ColumnMap:
    columns: dict[str, tuple[str, ...]] = field(default_factory=dict)  # field → source headers
    time_format: str | None = None

    @classmethod
    def parse(
        cls, pairs: Sequence[str], *, file: Path | None = None, time_format: str | None = None
    ) -> ColumnMap | None:
        from civicdesk.intake.importing.reading import FIELDS

        columns: dict[str, tuple[str, ...]] = {}
        if file is not None:
            try:
                document = yaml.safe_load(file.read_text(encoding="utf-8")) or {}
            except (OSError, yaml.YAMLError) as exc:
                raise UnreadableFile(f"无法读取列映射文件 {file}：{exc}") from None
            for name, expr in (document.get("columns") or {}).items():
                columns[str(name)] = _sources(str(expr))
            time_format = time_format or document.get("time_format")
        for pair in pairs:
            name, sep, expr = pair.partition("=")
            if not sep or not name.strip() or not expr.strip():
                raise UnreadableFile(f"列映射应写成 字段=列名（如 received_at=time）：{pair}")
            columns[name.strip()] = _sources(expr)
        unknown = sorted(set(columns) - set(FIELDS))
        if unknown:
            raise UnreadableFile(
                f"列映射中的未知字段：{'、'.join(unknown)}；可用：{'、'.join(FIELDS)}"
            )
        if not columns and not time_format:
            return None
        return cls(columns, time_format)

    def rows(self, rows: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[tuple[int, list[Any]]]:
        """The file's rows as the mapped fields: first the header row (field names), then data."""
        index: dict[str, int] | None = None
        names = list(self.columns)
        for number, cells in rows:
            if index is None:
                if all(c is None or not str(c).strip() for c in cells):
                    continue
                index = {str(c).strip().lstrip("\ufeff"): i for i, c in enumerate(cells) if c}
                missing = sorted({s for srcs in self.columns.values() for s in srcs} - set(index))
                if missing:
                    raise UnreadableFile(
                        f"列映射中的列不在文件中：{'、'.join(missing)}", columns_found=list(index)
                    )
                yield number, names
                continue
            yield number, [self._value(name, cells, index) for name in names]

    def _value(self, name: str, cells: Sequence[Any], index: dict[str, int]) -> Any:
        parts = []
        for source in self.columns[name]:
            i = index[source]
            value = cells[i] if i < len(cells) else None
            if value is not None and str(value).strip():
                parts.append(value if len(self.columns[name]) == 1 else str(value).strip())
        if not parts:
            return None
        value = parts[0] if len(parts) == 1 else "。".join(p.rstrip("。") for p in parts)
        if name == "received_at" and self.time_format and isinstance(value, str):
            # Left as written when it does not fit: the row check reports it as usual.
            with contextlib.suppress(ValueError):
                # A wall-clock time, as every import reads times (Beijing time unless zoned).
                parsed = datetime.strptime(value.strip(), self.time_format)  # noqa: DTZ007
                value = parsed.strftime("%Y-%m-%d %H:%M:%S")
        return value


def _sources(expr: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in expr.split("+") if part.strip())
