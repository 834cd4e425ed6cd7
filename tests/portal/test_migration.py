"""The 0004_portal migration goes up and down the whole chain, and matches the models."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import civicdesk.models  # noqa: F401 (every table on the metadata)
from civicdesk.db import Base, make_engine
from civicdesk.migrate import alembic_config, upgrade

TABLES = {"portal_submissions", "attachments", "citizen_ratings", "service_cards", "open311_keys"}


def test_up_down_up(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'm.db'}")
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    cfg = alembic_config()
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, "0003_supervision")
    assert not TABLES & set(inspect(engine).get_table_names())
    upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES
    engine.dispose()
