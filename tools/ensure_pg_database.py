"""Create the PostgreSQL test database named in a URL if it does not exist yet."""

from __future__ import annotations

import sys

import psycopg
from sqlalchemy.engine import make_url


def main(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres", drivername="postgresql")
    dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(dsn, autocommit=True) as conn:
        exists = conn.execute("select 1 from pg_database where datname = %s", (parsed.database,))
        if exists.fetchone() is None:
            conn.execute(f'create database "{parsed.database}"')
            print(f"created database {parsed.database}")


if __name__ == "__main__":
    main(sys.argv[1])
