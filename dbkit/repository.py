"""Org-scoped data access to ibex_core: `MemoryRepository(session, org_id).hot_cache(agent_id)`.

Two lines of defence, as in seed 001: every statement filters on the repository's organization, and
every method first sets `app.current_org_id` and checks that the session's role is bound by
row-level security (open sessions with `dbkit.rls.org_session` on `dbkit.rls.app_engine()`).

One implementation serves both worlds: the async repositories run the sync one on the AsyncSession's
`sync_session` through `AsyncSession.run_sync` (SQLAlchemy's own bridge), so no method is written twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from types import FunctionType
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, and_, inspect, literal_column, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from .errors import NotFoundError, RLSContextError, UsageError
from .models.ibex import Base, Memory

__all__ = ["AsyncBaseRepository", "AsyncMemoryRepository", "BaseRepository", "MemoryRepository"]

T = TypeVar("T", bound=Base)

_CONTEXT = text(
    "SELECT set_config('app.current_org_id', :org, true) AS org_id, current_user AS role,"
    " (SELECT rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user) AS bypasses"
)
# Approximate (HNSW) scans filter after the index; iterative scans keep going until k rows survive.
_ITERATIVE_SCAN = text("SET LOCAL hnsw.iterative_scan = strict_order")


class BaseRepository(Generic[T]):
    """Generic CRUD for one model within one organization, on a Session from `dbkit.rls.org_session`."""

    model: type[T]

    def __init__(self, session: Session, org_id: uuid.UUID | str, model: type[T] | None = None) -> None:
        self.session = session
        try:
            self.org_id = uuid.UUID(str(org_id))
        except ValueError:
            raise RLSContextError(f"org_id {org_id!r} is not a UUID; pass the organization's id") from None
        if model is not None:
            self.model = model
        if not hasattr(self, "model"):
            raise UsageError(f"{type(self).__name__} needs a model: pass model= or set the class attribute")
        columns = inspect(self.model).columns
        # organizations is scoped by its own id, every other table by org_id.
        self._org_column = columns["org_id"] if "org_id" in columns else columns["id"]

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
        self._claim(obj)
        attrs = inspect(self.model).attrs
        for name, value in values.items():
            if name not in attrs:
                raise UsageError(f"{self.model.__name__} has no attribute {name!r} to update")
            setattr(obj, name, value)
        self.session.flush()
        return obj

    def delete(self, obj_or_id: Any) -> None:
        obj = obj_or_id if isinstance(obj_or_id, self.model) else self._require(obj_or_id)
        self._set_rls_context()
        self._claim(obj)
        self.session.delete(obj)
        self.session.flush()

    # -- the checks and statements ------------------------------------------------------------

    def _set_rls_context(self) -> None:
        scoped = self.session.info.get("dbkit.org_id")
        if scoped is not None and scoped != str(self.org_id):
            raise RLSContextError(f"session is scoped to organization {scoped}, the repository to {self.org_id}")
        row = self.session.execute(_CONTEXT, {"org": str(self.org_id)}).one()
        if row.bypasses:
            raise RLSContextError(
                f"session runs as {row.role}, which bypasses row-level security; open it with dbkit.rls.org_session "
                "on dbkit.rls.app_engine()"
            )

    def _require(self, ident: Any) -> T:
        obj = self.get(ident)
        if obj is None:
            raise NotFoundError(f"no {self.model.__name__} {ident} in organization {self.org_id}")
        return obj

    def _get_stmt(self, ident: Any) -> Select[Any]:
        keys = inspect(self.model).primary_key
        values = ident if isinstance(ident, tuple) else (ident,)
        if len(values) != len(keys):
            raise UsageError(f"{self.model.__name__} has a {len(keys)}-column primary key; pass a tuple")
        return select(self.model).where(self._org_column == self.org_id, *(k == v for k, v in zip(keys, values, strict=True)))

    def _list_stmt(self, limit: int, offset: int, filters: dict[str, Any]) -> Select[Any]:
        attrs = inspect(self.model).column_attrs
        for name in filters:
            if name not in attrs:
                raise UsageError(f"{self.model.__name__} has no column attribute {name!r} to filter on")
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
            raise RLSContextError(f"{type(obj).__name__}.{key} is {current}, the repository's organization is {self.org_id}")


def _live() -> ColumnElement[bool]:
    # Literals, not bind parameters: the planner can then match the partial indexes' WHERE even in a
    # generic plan, so dedup uses memories_content_hash_org and search the HNSW index.
    return and_(Memory.status == literal_column("'active'"), Memory.deleted_at.is_(None))


class MemoryRepository(BaseRepository[Memory]):
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

    def _search_stmt(self, embedding: Any, k: int, agent_id: uuid.UUID | None) -> Select[Any]:
        distance = Memory.embedding.cosine_distance(embedding).label("distance")
        stmt = select(Memory, distance).where(Memory.org_id == self.org_id, _live())
        if agent_id is not None:
            stmt = stmt.where(Memory.agent_id == agent_id)
        return stmt.order_by(distance).limit(k)

    def _duplicate_stmt(self, agent_id: uuid.UUID, content_hash: str) -> Select[Any]:
        return select(Memory).where(
            Memory.org_id == self.org_id, Memory.agent_id == agent_id, Memory.content_hash == content_hash, _live()
        )

    def _hot_cache_stmt(self, agent_id: uuid.UUID, limit: int) -> Select[Any]:
        # Matches memories_hot_cache_idx (org_id, agent_id, created_at DESC): an index scan, no sort.
        return (
            select(Memory)
            .where(Memory.org_id == self.org_id, Memory.agent_id == agent_id, _live())
            .order_by(Memory.created_at.desc())
            .limit(limit)
        )


class _AsyncTwin:
    """Every public method of `sync` as a coroutine, run by `AsyncSession.run_sync` on the same session."""

    sync: type[BaseRepository[Any]] = BaseRepository

    def __init__(self, session: AsyncSession, org_id: uuid.UUID | str, model: type[Any] | None = None) -> None:
        self.session = session
        self.repository = self.sync(session.sync_session, org_id, model)
        self.org_id = self.repository.org_id

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for klass in reversed(cls.sync.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, FunctionType) and not name.startswith("_"):
                    setattr(cls, name, _coroutine(name))


def _coroutine(name: str) -> Callable[..., Any]:
    async def method(self: _AsyncTwin, *args: Any, **kwargs: Any) -> Any:
        bound = getattr(self.repository, name)
        return await self.session.run_sync(lambda _sync_session: bound(*args, **kwargs))

    method.__name__ = name
    method.__doc__ = f"Async form of `{name}` (the sync implementation, through AsyncSession.run_sync)."
    return method


class AsyncBaseRepository(_AsyncTwin):
    """Async twin of `BaseRepository`, on an AsyncSession from `dbkit.rls.async_org_session`."""

    sync = BaseRepository


class AsyncMemoryRepository(_AsyncTwin):
    """Async twin of `MemoryRepository`."""

    sync = MemoryRepository

    def __init__(self, session: AsyncSession, org_id: uuid.UUID | str) -> None:
        super().__init__(session, org_id)
