"""The PDF report: a valid PDF whose text (STSong-Light, UCS-2 codes) holds the narrative, the
tables and the charts' titles — read back by a small reader of reportlab's content streams."""

from __future__ import annotations

import base64
import re
import zlib

from civicdesk.assessment.pdf import MAX_ROWS, pdf_bytes
from civicdesk.assessment.report_data import Column, Kind, Report, Series, Table
from tests.assessment.test_workbook import NARRATIVE, source_report

# A stream's dictionary (no nested dictionary in reportlab's) and its data.
_STREAM = re.compile(rb"<<((?:(?!<<).)*?)>>\s*stream\r?\n(.*?)\s*endstream", re.S)
_TOKENS = re.compile(rb"/(F\d+)\s+[\d.]+\s+Tf|\(((?:\\.|[^\\)])*)\)\s*Tj", re.S)
_ESCAPES = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(raw):
        if raw[i : i + 1] == b"\\":
            octal = re.match(rb"[0-7]{1,3}", raw[i + 1 : i + 4])
            if octal:
                out.append(int(octal.group(), 8))
                i += 1 + len(octal.group())
                continue
            nxt = raw[i + 1 : i + 2]
            out += _ESCAPES.get(nxt, nxt)
            i += 2
            continue
        out += raw[i : i + 1]
        i += 1
    return bytes(out)


def pdf_text(data: bytes) -> str:
    """The text drawn by Tj operators, in order: the CID font's strings are UTF-16BE (reportlab
    encodes STSong-Light as UniGB-UCS2-H), the others Latin-1."""
    cid_fonts = {
        m.group(1).decode() for m in re.finditer(rb"/Encoding /UniGB-UCS2-H /Name /(F\d+)", data)
    }
    parts: list[str] = []
    for match in _STREAM.finditer(data):
        head, raw = match.groups()
        if b"ASCII85Decode" in head:
            raw = raw.strip()
            raw = base64.a85decode(raw if raw.startswith(b"<~") else b"<~" + raw, adobe=True)
        if b"FlateDecode" in head:
            raw = zlib.decompress(raw)
        font = ""
        for token in _TOKENS.finditer(raw):
            if token.group(1):
                font = token.group(1).decode()
                continue
            text = _unescape(token.group(2))
            parts.append(text.decode("utf-16-be") if font in cid_fonts else text.decode("latin-1"))
    return "".join(parts)


def test_a_valid_pdf_naming_the_built_in_chinese_font():
    data = pdf_bytes(source_report())
    assert data.startswith(b"%PDF-1.")
    assert data.rstrip().endswith(b"%%EOF")
    assert b"startxref" in data and b"/Type /Catalog" in data
    assert b"/BaseFont /STSong-Light" in data
    assert b"FontFile" not in data  # nothing embedded: readers bring the font


def test_text_holds_the_narrative_tables_and_titles():
    text = pdf_text(pdf_bytes(source_report()))
    assert "杭州市主城区2026年1-7月城市管理投诉情况报告" in text
    assert NARRATIVE in text
    assert "二、总体情况" in text and "三、分类别" in text and "四、处置指标" in text
    assert "投诉总量" in text and "16676" in text and "-16295" in text and "-49.42%" in text
    assert "93.72%" in text and "+1.23个百分点" in text
    assert "第 1 页" in text


def test_charts_are_drawn_with_their_titles_and_legend():
    report = source_report()
    series = Series(
        "月度投诉趋势", ("1月", "2月", "3月"), (5, 7, None), (9, 8, 6), ("2026年", "2025年")
    )
    bars = Series("分区域", ("上城区", "下城区"), (3, 4), (5, 6))
    text = pdf_text(pdf_bytes(Report(**{**vars(report), "charts": (series, bars)})))
    assert "月度投诉趋势" in text and "2026年" in text and "2025年" in text
    assert "分区域" in text and "上城区" in text


def test_long_tables_are_cut_with_a_pointer_to_the_workbook():
    rows = tuple((f"街道{i}", i) for i in range(MAX_ROWS + 5))
    table = Table("streets", "分街道", (Column("街道"), Column("投诉", Kind.count)), rows)
    report = Report(**{**vars(source_report()), "tables": (table,)})
    text = pdf_text(pdf_bytes(report))
    assert f"街道{MAX_ROWS - 1}" in text and f"街道{MAX_ROWS}" not in text
    assert f"仅列前{MAX_ROWS}行，共{MAX_ROWS + 5}行" in text
