"""Load held: readers keep getting whole answers while a schema is reseeded under them.

A reseed replaces every row of a schema in one transaction. Readers that run meanwhile, through the kit's
read path and through plain connections of their own, must each see all of one seed: never a half-empty
table, never an error. The rows at the end are the rows of one seed.
"""

from __future__ import annotations

import threading
import time

import psycopg
from kit_fixtures import digests

from dbkit import explore
from dbkit.seed import seed

KIT_READERS, OWN_READERS, RESEEDS = 2, 4, 2
TABLES = ("sprites", "councils", "chains", "execution_history")
COUNT = "SELECT " + ", ".join(f"(SELECT count(*) FROM iris.{t})" for t in TABLES)  # one snapshot, four tables


def test_readers_see_whole_seeds_while_a_schema_is_reseeded(seeded_db, seeded_clone):
    with psycopg.connect(seeded_clone) as conn:
        whole = conn.execute(COUNT).fetchone()
    assert all(whole)
    seen: list[tuple[int, ...]] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def kit_reader() -> None:
        while not done.is_set():
            try:
                seen.append(tuple(int(n) for n in explore.query(COUNT, url=seeded_clone).iloc[0]))
            except BaseException as exc:
                errors.append(exc)
                return

    def own_reader() -> None:
        try:
            with psycopg.connect(seeded_clone, autocommit=True) as conn:
                while not done.is_set():
                    seen.append(conn.execute(COUNT).fetchone())
        except BaseException as exc:
            errors.append(exc)

    readers = [threading.Thread(target=kit_reader) for _ in range(KIT_READERS)]
    readers += [threading.Thread(target=own_reader) for _ in range(OWN_READERS)]
    for reader in readers:
        reader.start()
    try:
        time.sleep(0.2)  # the readers are reading before the first reseed begins
        for _ in range(RESEEDS):
            seed(seeded_clone, ["iris"])
        time.sleep(0.2)
    finally:
        done.set()
        for reader in readers:
            reader.join(timeout=60)
    assert errors == []
    assert len(seen) > 10 * len(readers), len(seen)  # they really ran, throughout
    assert set(seen) == {whole}  # every answer is one whole seed: no table seen empty or half filled
    assert digests(seeded_clone, ["iris"]) == digests(seeded_db, ["iris"])
