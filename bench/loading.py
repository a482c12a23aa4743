"""Loading: 100,000 IBEX memories (384-d vectors) by binary COPY, by psycopg `executemany`, by SQLAlchemy ORM `add_all`.

The rows are real: memories of the `--scale 100` database, read once into Python. Each method fills an
empty copy of `ibex_core.memories` (its columns, defaults, CHECKs and primary key; no foreign keys, no
secondary indexes, so the figure is the client path and not an index build), in one transaction, and
the table is emptied between runs. COPY is the seed's path (`dbkit/seed/_load.py`); the ORM side uses
the kit's own model's column types (pgvector's `Vector`, the enums) and the kit's engine. COPY and
executemany are medians of three runs; the ORM run (about a minute) is timed once.
"""

from __future__ import annotations

from typing import Any

from ._measure import Bench, median, ratio, timed
from .seeding import scaled_database


def measure(bench: Bench) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.rows import dict_row
    from psycopg.types.json import Jsonb

    import dbkit

    with bench.area("loading") as found:
        url = scaled_database(bench)
        wanted = bench.times(100_000, 2_000)
        with dbkit.connect(url) as conn, conn.cursor(row_factory=dict_row) as cur:
            rows = cur.execute("SELECT * FROM ibex_core.memories ORDER BY id LIMIT %s", (wanted,)).fetchall()
            columns = list(rows[0])
            types = dict(conn.execute(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = 'ibex_core.memories'::regclass AND attnum > 0 "
                "AND NOT attisdropped"
            ).fetchall())  # fmt: skip
            conn.execute("DROP SCHEMA IF EXISTS bench_load CASCADE")
            conn.execute("CREATE SCHEMA bench_load")
            for method in ("copy", "executemany", "orm"):
                table = sql.Identifier("bench_load", f"memories_{method}")
                conn.execute(
                    sql.SQL("CREATE TABLE {} (LIKE ibex_core.memories INCLUDING DEFAULTS INCLUDING CONSTRAINTS)").format(table)
                )
                conn.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(table))
        names = sql.SQL(", ").join(map(sql.Identifier, columns))

        def copy() -> None:
            with dbkit.connect(url, autocommit=False) as conn:
                statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)").format(
                    sql.Identifier("bench_load", "memories_copy"), names
                )
                with conn.cursor().copy(statement) as out:
                    out.set_types([types[c] for c in columns])
                    for row in rows:
                        out.write_row([row[c] for c in columns])

        def executemany() -> None:
            insert = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
                sql.Identifier("bench_load", "memories_executemany"), names, sql.SQL(", ").join(sql.Placeholder() * len(columns))
            )
            values = [[Jsonb(v) if isinstance(v, dict) else v for v in (row[c] for c in columns)] for row in rows]
            with dbkit.connect(url, autocommit=False) as conn, conn.cursor() as cur:
                cur.executemany(insert, values)

        orm = _orm(url, rows)
        methods = {"copy": copy, "executemany": executemany, "orm": orm}
        runs: dict[str, list[float]] = {name: [] for name in methods}
        for n in range(bench.times(3)):
            for name, method in methods.items():
                if name == "orm" and n:  # ~1 min a run at 100,000 rows: timed once (its rate is 1/30 of COPY's)
                    continue
                _empty(url)
                runs[name].append(timed(method)[0])
                _check(url, name, len(rows))
        rates = {name: len(rows) / median(times) for name, times in runs.items()}
        found.update(
            rows=len(rows),
            rows_per_s={k: round(v) for k, v in rates.items()},
            seconds={k: [round(x, 2) for x in v] for k, v in runs.items()},
        )
        found["copy_vs_orm"] = round(ratio(rates["copy"], rates["orm"]), 1)
        found["copy_vs_executemany"] = round(ratio(rates["copy"], rates["executemany"]), 1)
        bench.target("loading", f"{len(rows):,} memories (384-d): binary COPY vs SQLAlchemy ORM add_all",
                     f"{rates['copy']:,.0f} vs {rates['orm']:,.0f} rows/s = {found['copy_vs_orm']}x "
                     f"(executemany {rates['executemany']:,.0f} rows/s)", ">= 10x", found["copy_vs_orm"] >= 10)  # fmt: skip
        _empty(url)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP SCHEMA bench_load CASCADE")


def _empty(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE bench_load.memories_copy, bench_load.memories_executemany, bench_load.memories_orm")
        conn.execute("CHECKPOINT")  # each method starts with the same clean buffers to write


def _check(url: str, method: str, expected: int) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url) as conn:
        count = conn.execute(
            sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier("bench_load", f"memories_{method}"))
        ).fetchone()
    if count != (expected,):
        raise RuntimeError(f"{method} loaded {count} rows, not {expected}")


def _orm(url: str, rows: list[dict[str, Any]]) -> Any:
    """`session.add_all()` of mapped objects built from the rows (enums as enum members, as an app holds them)."""
    from sqlalchemy import Column, Enum, MetaData, Table
    from sqlalchemy.orm import DeclarativeBase, Session

    import dbkit
    from dbkit.models.ibex import Memory

    source = Memory.__table__
    table = Table("memories_orm", MetaData(), *(Column(c.name, c.type, primary_key=c.primary_key) for c in source.columns),
                  schema="bench_load")  # fmt: skip
    enums = {c.name: c.type.enum_class for c in source.columns if isinstance(c.type, Enum) and c.type.enum_class}

    class Base(DeclarativeBase):
        pass

    class Loaded(Base):
        __table__ = table

    engine = dbkit.engine(url)

    def load() -> None:
        objects = [Loaded(**{k: enums[k](v) if k in enums and v is not None else v for k, v in row.items()}) for row in rows]
        with Session(engine) as session:
            session.add_all(objects)
            session.commit()

    return load
