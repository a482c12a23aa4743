"""Org-scoped data access to ibex_core: `MemoryRepository(session, org_id).hot_cache(agent_id)`.

Two lines of defence, as in seed 001: every statement filters on the repository's organization, and
every method first sets `app.current_org_id` and checks that the session's role is bound by
row-level security (open sessions with `dbkit.rls.org_session`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, inspect, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from .models.ibex import Base, Memory
from .rls import RLSContextError

__all__ = ["AsyncBaseRepository", "AsyncMemoryRepository", "BaseRepository", "MemoryRepository"]

T = TypeVar("T", bound=Base)

_CONTEXT = text(
    "SELECT set_config('app.current_org_id', :org, true) AS org_id, current_user AS role,"
    " (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypasses"
)
# Approximate (HNSW) scans filter after the index; iterative scans keep going until k rows survive.
_ITERATIVE_SCAN = text("SET LOCAL hnsw.iterative_scan = strict_order")


class _Repository(Generic[T]):
    """What the sync and async repositories share: the organization, the checks, the statements."""

    model: type[T]

    def __init__(self, session: Any, org_id: uuid.UUID | str, model: type[T] | None = None) -> None:
        self.session = session
        self.org_id = uuid.UUID(str(org_id))
        if model is not None:
            self.model = model
        if not hasattr(self, "model"):
            raise TypeError(f"{type(self).__name__} needs a model: pass model= or set the class attribute")
        columns = inspect(self.model).columns
        # organizations is scoped by its own id, every other table by org_id.
        self._org_column = columns["org_id"] if "org_id" in columns else columns["id"]

    def _context_params(self) -> dict[str, str]:
        scoped = self._sync_session().info.get("dbkit.org_id")
        if scoped is not None and scoped != str(self.org_id):
            raise RLSContextError(f"session is scoped to organization {scoped}, the repository to {self.org_id}")
        return {"org": str(self.org_id)}

    def _check_context(self, row: Any) -> None:
        if row.bypasses:
            raise RLSContextError(
                f"session runs as {row.role}, which bypasses row-level security; open it with dbkit.rls.org_session"
            )

    def _sync_session(self) -> Session:
        return self.session.sync_session if isinstance(self.session, AsyncSession) else self.session

    def _get_stmt(self, ident: Any) -> Select[tuple[T]]:
        keys = inspect(self.model).primary_key
        values = ident if isinstance(ident, tuple) else (ident,)
        if len(values) != len(keys):
            raise ValueError(f"{self.model.__name__} has a {len(keys)}-column primary key; pass a tuple")
        return select(self.model).where(self._org_column == self.org_id, *(k == v for k, v in zip(keys, values)))

    def _list_stmt(self, limit: int, offset: int, filters: dict[str, Any]) -> Select[tuple[T]]:
        attrs = inspect(self.model).column_attrs
        for name in filters:
            if name not in attrs:
                raise ValueError(f"{self.model.__name__} has no column attribute {name!r} to filter on")
        conditions = [getattr(self.model, name) == value for name, value in filters.items()]
        # Ordered by primary key so that limit/offset pages are stable.
        return (
            select(self.model)
            .where(self._org_column == self.org_id, *conditions)
            .order_by(*inspect(self.model).primary_key)
            .limit(limit)
            .offset(offset)
        )

    def _claim(self, obj: T) -> None:
        key = self._org_column.key
        current = getattr(obj, key)
        if current is None:
            setattr(obj, key, self.org_id)
        elif uuid.UUID(str(current)) != self.org_id:
            raise RLSContextError(
                f"{type(obj).__name__}.{key} is {current}, the repository's organization is {self.org_id}"
            )

    def _apply(self, obj: T, values: dict[str, Any]) -> T:
        self._claim(obj)
        attrs = inspect(self.model).attrs
        for name, value in values.items():
            if name not in attrs:
                raise ValueError(f"{self.model.__name__} has no attribute {name!r} to update")
            setattr(obj, name, value)
        return obj


class BaseRepository(_Repository[T]):
    """Generic CRUD for one model within one organization, on a Session from `dbkit.rls.org_session`."""

    def _set_rls_context(self) -> None:
        self._check_context(self.session.execute(_CONTEXT, self._context_params()).one())

    def get(self, ident: Any) -> T | None:
        self._set_rls_context()
        return self.session.scalars(self._get_stmt(ident)).one_or_none()

    def list(self, *, limit: int = 100, offset: int = 0, **filters: Any) -> Sequence[T]:
        self._set_rls_context()
        return self.session.scalars(self._list_stmt(limit, offset, filters)).all()

    def add(self, obj: T) -> T:
        self._set_rls_context()
        self._claim(obj)
        self.session.add(obj)
        self.session.flush()  # surfaces constraint and RLS errors here, and fills server defaults
        return obj

    def update(self, obj_or_id: Any, **values: Any) -> T:
        obj = obj_or_id if isinstance(obj_or_id, self.model) else self._require(obj_or_id)
        self._set_rls_context()
        self._apply(obj, values)
        self.session.flush()
        return obj

    def delete(self, obj_or_id: Any) -> None:
        obj = obj_or_id if isinstance(obj_or_id, self.model) else self._require(obj_or_id)
        self._set_rls_context()
        self._claim(obj)
        self.session.delete(obj)
        self.session.flush()

    def _require(self, ident: Any) -> T:
        obj = self.get(ident)
        if obj is None:
            raise LookupError(f"no {self.model.__name__} {ident} in organization {self.org_id}")
        return obj


class AsyncBaseRepository(_Repository[T]):
    """Async twin of `BaseRepository`, on an AsyncSession from `dbkit.rls.async_org_session`."""

    async def _set_rls_context(self) -> None:
        self._check_context((await self.session.execute(_CONTEXT, self._context_params())).one())

    async def get(self, ident: Any) -> T | None:
        await self._set_rls_context()
        return (await self.session.scalars(self._get_stmt(ident))).one_or_none()

    async def list(self, *, limit: int = 100, offset: int = 0, **filters: Any) -> Sequence[T]:
        await self._set_rls_context()
        return (await self.session.scalars(self._list_stmt(limit, offset, filters))).all()

    async def add(self, obj: T) -> T:
        await self._set_rls_context()
        self._claim(obj)
        self.session.add(obj)
        await self.session.flush()
        return obj

    async def update(self, obj_or_id: Any, **values: Any) -> T:
        obj = obj_or_id if isinstance(obj_or_id, self.model) else await self._require(obj_or_id)
        await self._set_rls_context()
        self._apply(obj, values)
        await self.session.flush()
        return obj

    async def delete(self, obj_or_id: Any) -> None:
        obj = obj_or_id if isinstance(obj_or_id, self.model) else await self._require(obj_or_id)
        await self._set_rls_context()
        self._claim(obj)
        await self.session.delete(obj)
        await self.session.flush()

    async def _require(self, ident: Any) -> T:
        obj = await self.get(ident)
        if obj is None:
            raise LookupError(f"no {self.model.__name__} {ident} in organization {self.org_id}")
        return obj


def _live() -> ColumnElement[bool]:
    # Literals, not bind parameters: the planner can then match the partial indexes' WHERE even in a
    # generic plan, so dedup uses memories_content_hash_org and search the HNSW index.
    return and_(Memory.status == literal_column("'active'"), Memory.deleted_at.is_(None))


class _MemoryQueries:
    """The seed's memory queries, built once for both repositories."""

    org_id: uuid.UUID

    def _search_stmt(self, embedding: Any, k: int, agent_id: uuid.UUID | None) -> Select[tuple[Memory, float]]:
        distance = Memory.embedding.cosine_distance(embedding).label("distance")
        stmt = select(Memory, distance).where(Memory.org_id == self.org_id, _live())
        if agent_id is not None:
            stmt = stmt.where(Memory.agent_id == agent_id)
        return stmt.order_by(distance).limit(k)

    def _duplicate_stmt(self, agent_id: uuid.UUID, content_hash: str) -> Select[tuple[Memory]]:
        return select(Memory).where(
            Memory.org_id == self.org_id, Memory.agent_id == agent_id, Memory.content_hash == content_hash, _live()
        )

    def _hot_cache_stmt(self, agent_id: uuid.UUID, limit: int) -> Select[tuple[Memory]]:
        # Matches memories_hot_cache_idx (org_id, agent_id, created_at DESC): an index scan, no sort.
        return (
            select(Memory)
            .where(Memory.org_id == self.org_id, Memory.agent_id == agent_id, _live())
            .order_by(Memory.created_at.desc())
            .limit(limit)
        )


class MemoryRepository(_MemoryQueries, BaseRepository[Memory]):
    """Memories of one organization: CRUD plus vector search, dedup and the hot cache."""

    model = Memory

    def search(self, embedding: Any, k: int = 10, *, agent_id: uuid.UUID | None = None) -> list[tuple[Memory, float]]:
        """The `k` live memories nearest to `embedding` by cosine distance, nearest first, as (memory, distance)."""
        self._set_rls_context()
        self.session.execute(_ITERATIVE_SCAN)
        return [(m, d) for m, d in self.session.execute(self._search_stmt(embedding, k, agent_id))]

    def find_duplicate(self, agent_id: uuid.UUID, content_hash: str) -> Memory | None:
        """The live memory of `agent_id` with this content hash, if one exists: insert only when None."""
        self._set_rls_context()
        return self.session.scalars(self._duplicate_stmt(agent_id, content_hash)).one_or_none()

    def hot_cache(self, agent_id: uuid.UUID, limit: int = 20) -> Sequence[Memory]:
        """The agent's `limit` most recent live memories, newest first."""
        self._set_rls_context()
        return self.session.scalars(self._hot_cache_stmt(agent_id, limit)).all()


class AsyncMemoryRepository(_MemoryQueries, AsyncBaseRepository[Memory]):
    """Async twin of `MemoryRepository`."""

    model = Memory

    async def search(
        self, embedding: Any, k: int = 10, *, agent_id: uuid.UUID | None = None
    ) -> list[tuple[Memory, float]]:
        """The `k` live memories nearest to `embedding` by cosine distance, nearest first, as (memory, distance)."""
        await self._set_rls_context()
        await self.session.execute(_ITERATIVE_SCAN)
        return [(m, d) for m, d in await self.session.execute(self._search_stmt(embedding, k, agent_id))]

    async def find_duplicate(self, agent_id: uuid.UUID, content_hash: str) -> Memory | None:
        """The live memory of `agent_id` with this content hash, if one exists: insert only when None."""
        await self._set_rls_context()
        return (await self.session.scalars(self._duplicate_stmt(agent_id, content_hash))).one_or_none()

    async def hot_cache(self, agent_id: uuid.UUID, limit: int = 20) -> Sequence[Memory]:
        """The agent's `limit` most recent live memories, newest first."""
        await self._set_rls_context()
        return (await self.session.scalars(self._hot_cache_stmt(agent_id, limit))).all()
