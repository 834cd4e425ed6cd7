"""The practical limit for comparison: a bare FastAPI endpoint that parses the same form and
inserts one row in its own transaction, on the same engine settings as civicdesk.

    uvicorn benchmarks.bare_insert:app   (database from CIVICDESK_DATABASE_URL)
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Annotated

from fastapi import FastAPI, Form
from fastapi.responses import RedirectResponse
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, Text, insert

from civicdesk.db import make_engine
from civicdesk.settings import Settings

engine = make_engine(Settings(database_url=os.environ["CIVICDESK_DATABASE_URL"]).database_url)
metadata = MetaData()
rows = Table(
    "bench_bare_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("phone", String(40)),
    Column("text", Text),
    Column("created_at", DateTime(timezone=True)),
)
metadata.create_all(engine, checkfirst=True)
app = FastAPI()


@app.post("/portal/submit")
def submit(
    text: Annotated[str, Form()], phone: Annotated[str, Form()], csrf: Annotated[str, Form()] = ""
) -> RedirectResponse:
    with engine.begin() as connection:
        connection.execute(
            insert(rows).values(phone=phone, text=text, created_at=datetime.now(UTC))
        )
    return RedirectResponse("/portal/t/x?new=1", status_code=303)


@app.get("/portal")
def form() -> dict[str, str]:
    return {"csrf": "none"}
