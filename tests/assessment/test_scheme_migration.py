"""The 0007_assessment_schemes migration goes down and up again, and matches the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import civicdesk.models  # noqa: F401 (every table on the metadata)
from civicdesk.db import Base, make_engine
from civicdesk.migrate import alembic_config, upgrade

TABLES = {"assessment_schemes", "inspections", "appeals", "assessment_publications"}


def test_down_and_up(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as connection:
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diffs if any(t in repr(d) for t in TABLES)] == []
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0006_assessment_facts")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    indexes = {i["name"] for i in inspect(engine).get_indexes("appeals")}
    assert "uq_appeals_open_per_complaint" in indexes
    engine.dispose()
