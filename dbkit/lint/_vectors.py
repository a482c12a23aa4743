"""pgvector columns and their ANN indexes (HNSW, IVFFlat): the kit's own rules.

Which distance an index serves is fixed by its opclass (`vector_cosine_ops` serves `<=>` only), and which
distance a query asks for is in the query: so the queries seen (notebooks, pg_stat_statements) are the
evidence for the opclass and partial-predicate rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from psycopg import sql

from ..catalog import Index, Table
from .context import Context
from .parsing import conjuncts
from .rules import Hit, rule

# format_type() qualifies the type when pgvector lives in a schema off the search_path (`extensions.vector(384)`).
_VECTOR = re.compile(r'^(?:(?:\w+|"[^"]+")\.)?(?P<type>vector|halfvec|sparsevec)(?:\((?P<dims>\d+)\))?$')
_ANN = ("hnsw", "ivfflat")
# pgvector's distance operators and the opclass suffix that serves each.
DISTANCES = {"<->": "l2", "<=>": "cosine", "<#>": "ip", "<+>": "l1", "<~>": "hamming", "<%>": "jaccard"}
_NAMES = {"l2": "L2 distance", "cosine": "cosine distance", "ip": "inner product", "l1": "L1 distance",
          "hamming": "Hamming distance", "jaccard": "Jaccard distance"}  # fmt: skip
_INDEXABLE_DIMS = {"vector": 2000, "halfvec": 4000}  # pgvector 0.8: what HNSW and IVFFlat can index
_SAMPLE = 100_000  # rows read at most to date an IVFFlat index against its table
_UNKNOWN_AGE = 2**31 - 1  # age() of a frozen xid: no date to compare with


@rule(
    "vector-without-ann-index", "warning",
    why="""Nearest-neighbour search on a vector column without an HNSW or IVFFlat index computes the distance to every
        row: fine for a few thousand rows, seconds for a million.""",
    fix="CREATE INDEX CONCURRENTLY ... USING hnsw (col vector_cosine_ops) (the opclass of the distance the queries use).",
)  # fmt: skip
def _vector_without_ann_index(ctx: Context) -> Iterator[Hit]:
    for table, column, kind, dims in _vector_columns(ctx):
        if dims is not None and dims > _INDEXABLE_DIMS.get(kind, dims):
            continue  # vector-too-wide-for-ann says what to do instead
        if not _ann_indexes(table, column):
            yield Hit(f"{table.qualified}.{column}", f"{table.qualified}.{column} ({kind}) has no HNSW or IVFFlat index")


@rule(
    "vector-without-dimensions", "warning",
    why="""A vector column declared without dimensions accepts vectors of any length: distances between them fail at
        query time, and neither HNSW nor IVFFlat can index it.""",
    fix="ALTER COLUMN ... TYPE vector(n) (the embedding model's dimensions).",
)  # fmt: skip
def _vector_without_dimensions(ctx: Context) -> Iterator[Hit]:
    for table, column, kind, dims in _vector_columns(ctx):
        if dims is None and kind != "sparsevec":
            yield Hit(f"{table.qualified}.{column}", f"{table.qualified}.{column} is {kind} without dimensions")


@rule(
    "vector-too-wide-for-ann", "warning",
    why="""HNSW and IVFFlat index at most 2,000 dimensions of vector (4,000 of halfvec): wider columns can only be
        searched exactly, row by row.""",
    fix="Index an expression: USING hnsw ((col::halfvec(n)) halfvec_cosine_ops) up to 4,000 dimensions, or reduce them.",
)  # fmt: skip
def _vector_too_wide_for_ann(ctx: Context) -> Iterator[Hit]:
    for table, column, kind, dims in _vector_columns(ctx):
        limit = _INDEXABLE_DIMS.get(kind)
        if dims is not None and limit is not None and dims > limit and not _ann_indexes(table, column):
            yield Hit(f"{table.qualified}.{column}",
                      f"{table.qualified}.{column} is {kind}({dims}): more than the {limit:,} dimensions ANN indexes take")  # fmt: skip


@rule(
    "vector-opclass-mismatch", "error",
    why="""An ANN index serves one distance, the one of its opclass: queries that order by another operator cannot use
        it and compute the distance to every row, however fast the index is.""",
    fix="Create the index with the opclass of the operator the queries use (<=> vector_cosine_ops, <-> vector_l2_ops, "
        "<#> vector_ip_ops), or change the queries.",
)  # fmt: skip
def _vector_opclass_mismatch(ctx: Context) -> Iterator[Hit]:
    for table, column, _kind, _dims in _vector_columns(ctx):
        indexes = _ann_indexes(table, column)
        if not indexes:
            continue
        served = {distance(i) for i in indexes}
        for operator, uses in _uses_by_operator(ctx, table, column).items():
            if DISTANCES[operator] not in served:
                offered = ", ".join(f"{i.name} ({i.opclasses[0] or 'default'})" for i in indexes)
                yield Hit(f"{table.qualified}.{column}",
                          f"queries order {column} by {operator} ({_NAMES[DISTANCES[operator]]}; {_seen(uses)}), but "
                          f"{offered} serve(s) only {', '.join(_NAMES[d] for d in sorted(served))}")  # fmt: skip


@rule(
    "ann-index-partial-predicate", "warning",
    why="""A partial HNSW or IVFFlat index is used only by queries whose WHERE repeats its predicate: the others scan
        every row, however selective the index.""",
    fix="Repeat the index's WHERE in the queries, or build the index without the predicate (or one per filter).",
)  # fmt: skip
def _ann_index_partial_predicate(ctx: Context) -> Iterator[Hit]:
    for table, column, _kind, _dims in _vector_columns(ctx):
        indexes = _ann_indexes(table, column)
        for operator, uses in _uses_by_operator(ctx, table, column).items():
            serving = [i for i in indexes if distance(i) == DISTANCES[operator]]
            if not serving or any(i.predicate is None for i in serving):
                continue
            for index in serving:
                wanted = conjuncts(index.predicate)
                missing = [u for u in uses if not wanted <= u.where]
                if missing:
                    yield Hit(f"{table.qualified}.{index.name}",
                              f"{index.name} holds only rows WHERE {index.predicate}; {len(missing)} query(ies) using "
                              f"{column} {operator} do not say so and cannot use it ({_seen(missing)})")  # fmt: skip


@rule(
    "ivfflat-built-empty", "warning",
    why="""IVFFlat learns its lists' centroids from the rows present when it is built: built on an empty (or much
        smaller) table, the lists are arbitrary, rows pile into a few of them, and recall falls at every probes.""",
    fix="REINDEX INDEX CONCURRENTLY ... once the table holds its data (and after each bulk load that changes it).",
)  # fmt: skip
def _ivfflat_built_empty(ctx: Context) -> Iterator[Hit]:
    for table in ctx.tables(("table", "partitioned table", "materialized view")):
        for index in table.indexes:
            if index.method != "ivfflat" or index.built_age is None or index.built_age >= _UNKNOWN_AGE:
                continue
            later, sampled = _rows_after(ctx, table, index)
            if sampled and later * 2 >= sampled:
                share = "all" if later == sampled else f"{later:,} of {sampled:,}"
                when = " (it was built on an empty table)" if later == sampled else ""
                yield Hit(f"{table.qualified}.{index.name}",
                          f"{share} sampled rows of {table.qualified} were written after {index.name} was built{when}")  # fmt: skip


# -- helpers -------------------------------------------------------------------------------------


def _vector_columns(ctx: Context) -> Iterator[tuple[Table, str, str, int | None]]:
    for table, column in ctx.columns(("table", "partitioned table", "materialized view")):
        match = _VECTOR.match(column.type)
        if match:
            yield table, column.name, match["type"], int(match["dims"]) if match["dims"] else None


def _ann_indexes(table: Table, column: str) -> list[Index]:
    """The table's HNSW and IVFFlat indexes on the column (also on an expression of it: `(col::halfvec(3072))`)."""
    word = re.compile(rf'(^|[^\w"]){re.escape(column)}($|[^\w"])|"{re.escape(column)}"')
    return [i for i in table.indexes if i.method in _ANN and i.columns and word.search(i.columns[0])]


def distance(index: Index) -> str:
    """The distance an ANN index serves, from its opclass (`vector_cosine_ops` → cosine; the default is L2)."""
    opclass = index.opclasses[0] if index.opclasses else ""
    return next((d for d in _NAMES if opclass.endswith(f"_{d}_ops")), "l2")


def _uses_by_operator(ctx: Context, table: Table, column: str) -> dict[str, list]:
    found: dict[str, list] = {}
    for use in ctx.uses_of(table, column, DISTANCES):
        found.setdefault(use.operator, []).append(use)
    return found


def _seen(uses: list) -> str:
    sources = sorted({u.source for u in uses})
    return "seen in " + ", ".join(sources[:3]) + (f" and {len(sources) - 3} more" if len(sources) > 3 else "")


def _rows_after(ctx: Context, table: Table, index: Index) -> tuple[int, int]:
    """(rows written after the index's build, rows sampled): a row is newer when its xmin is younger than the index's.

    Both ages in one statement: age() counts from the current transaction, and other sessions' transactions
    between two statements would make every row look older than it is.
    """
    relation = sql.Identifier(table.schema, table.name)
    sample: sql.Composable = sql.SQL("")
    if (table.rows_estimate or 0) > _SAMPLE:
        percent = max(0.01, min(100.0, 100.0 * _SAMPLE / (table.rows_estimate or 1)))
        sample = sql.SQL(" TABLESAMPLE SYSTEM ({})").format(sql.Literal(percent))
    query = sql.SQL(
        "SELECT count(*) FILTER (WHERE age(xmin) < (SELECT age(c.xmin) FROM pg_class c WHERE c.oid = %s::regclass)), "
        "count(*) FROM (SELECT xmin FROM {}{} LIMIT {}) AS sampled"
    ).format(relation, sample, sql.Literal(_SAMPLE))
    with ctx.db.reading() as reader:
        name = sql.Identifier(table.schema, index.name).as_string(reader.conn)
        later, sampled = reader.query(query, [name]).rows[0]
    return int(later), int(sampled)
