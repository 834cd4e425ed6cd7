"""The bulk-import page over HTTP: upload, all-or-nothing, limits, roles, CSRF."""

from __future__ import annotations

import csv
import io
import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from civicdesk.intake.models import Complaint, ImportBatch
from tests import builders as b
from tests.web import conftest as web
from tests.web.conftest import login

# The web tests' fixtures (tests/web/conftest.py), bound here so that pytest finds them.
app, client, accounts = web.app, web.client, web.accounts

HEADER = ["工单号", "来电时间", "投诉人", "联系电话", "投诉内容", "事发地址", "问题类别", "街道"]
TEXT = "文三路100号门口每天晚上有人占道摆摊卖烧烤，油烟很大，影响通行"


def line(ref: str, *, received_at: str = "2026-03-09 09:12") -> list[str]:
    return [
        ref,
        received_at,
        "王先生",
        "13800001111",
        TEXT,
        "文三路100号",
        "street_vendor",
        b.XIXI_STREET,
    ]


def csv_bytes(rows: list[list[str]], *, encoding: str = "gbk") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return buffer.getvalue().encode(encoding)


def csrf_of(client: TestClient) -> str:
    page = client.get("/intake/import")
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None
    return found.group(1)


def upload(
    client: TestClient,
    content: bytes,
    *,
    name: str = "export.csv",
    csrf: str | None = None,
    **fields: str,
):
    data = {"channel": "12345", **fields}
    if csrf is not None:
        data["csrf"] = csrf
    return client.post("/intake/import", data=data, files={"file": (name, content, "text/csv")})


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def shown(page: str, name: str) -> int:
    found = re.search(rf'data-count="{name}">(\d+)<', page)
    assert found is not None, name
    return int(found.group(1))


def test_a_gbk_csv_is_imported_by_the_logged_in_operator(client, accounts, session):
    login(client, "op")
    content = csv_bytes([line("WEB-1"), line("WEB-2")])
    response = upload(client, content, csrf=csrf_of(client))
    assert response.status_code == 200, response.text
    assert "导入完成：新增 2 条投诉" in response.text
    assert (shown(response.text, "rows_read"), shown(response.text, "imported")) == (2, 2)
    stored = session.scalar(select(Complaint).where(Complaint.upstream_ref == "WEB-1"))
    assert stored is not None and stored.text == TEXT  # decoded from GBK, not mojibake
    batch = session.get_one(ImportBatch, stored.import_batch_id)
    assert batch.actor_id == accounts["operator"].id and batch.filename == "export.csv"

    again = upload(client, content, csrf=csrf_of(client))
    assert again.status_code == 200
    assert (shown(again.text, "imported"), shown(again.text, "already_present")) == (0, 2)
    assert "同一文件曾于" in again.text


def test_a_bad_row_is_shown_and_nothing_is_written(client, accounts, session):
    login(client, "op")
    before = (count(session, Complaint), count(session, ImportBatch))
    content = csv_bytes([line("WEB-3"), line("WEB-4", received_at="2026-02-30 09:00")])
    response = upload(client, content, csrf=csrf_of(client))
    assert response.status_code == 422
    assert "未导入任何数据" in response.text
    row_error = re.search(
        r'<tr><td class="num">3</td><td>来电时间</td><td>([^<]*)</td></tr>', response.text
    )
    assert row_error is not None and "日期不存在" in row_error.group(1)
    assert (shown(response.text, "imported"), shown(response.text, "failed")) == (0, 1)
    assert (count(session, Complaint), count(session, ImportBatch)) == before

    skipping = upload(client, content, csrf=csrf_of(client), skip_invalid="1")
    assert skipping.status_code == 200
    assert "导入完成：新增 1 条投诉；1 行有误，已跳过" in skipping.text
    assert count(session, Complaint) == before[0] + 1


@pytest.mark.parametrize(
    "size",
    [
        2 * 1024 * 1024,  # declared length too large: refused before the body is read
        1024 * 1024 + 1024,  # within the form allowance, so only the upload's own size tells
    ],
)
def test_an_oversized_upload_is_refused(client, accounts, session, app, size):
    app.state.settings = app.state.settings.model_copy(update={"max_upload_mb": 1})
    login(client, "op")
    rows = [line(f"BIG-{n}") for n in range(size // 100)]
    content = csv_bytes(rows)[:size]
    before = count(session, ImportBatch)
    response = upload(client, content, csrf=csrf_of(client))
    assert response.status_code == 413
    assert "文件过大：上传文件不能超过 1 MB" in response.text
    assert count(session, ImportBatch) == before


def test_other_file_types_and_missing_columns_are_explained(client, accounts):
    login(client, "op")
    csrf = csrf_of(client)
    pdf = upload(client, b"%PDF-1.4 ...", name="complaints.pdf", csrf=csrf)
    assert pdf.status_code == 415 and "只能导入 CSV 或 Excel（.xlsx）文件" in pdf.text
    no_channel = upload(client, csv_bytes([line("WEB-5")]), csrf=csrf, channel="")
    assert no_channel.status_code == 422
    assert "缺少必需的列：渠道" in no_channel.text and "--channel" not in no_channel.text


def test_unit_staff_may_not_import(client, accounts):
    login(client, "xixi")
    assert client.get("/intake/import").status_code == 403
    response = upload(client, csv_bytes([line("WEB-6")]), csrf="0" * 64)
    assert response.status_code == 403


def test_the_csrf_token_is_required(client, accounts, session):
    login(client, "op")
    before = count(session, ImportBatch)
    missing = upload(client, csv_bytes([line("WEB-7")]))
    wrong = upload(client, csv_bytes([line("WEB-7")]), csrf="0" * 64)
    assert missing.status_code == wrong.status_code == 403
    assert "表单已失效" in missing.text
    assert count(session, ImportBatch) == before


def test_the_intake_form_links_to_the_import_page(client, accounts):
    login(client, "op")
    assert '<a href="/intake/import">批量导入</a>' in client.get("/intake").text
