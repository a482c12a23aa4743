"""Typed SQLAlchemy 2.0 models, one module and one `DeclarativeBase` per schema (`dbkit.models.ibex.Memory`).

Which module belongs to which schema is the registry's to say (`models = ...` in `sql/<folder>/dbkit.toml`).
"""

from __future__ import annotations

from sqlalchemy import MetaData

from .. import registry

__all__ = ["metadata"]


def metadata(schema: str) -> MetaData:
    """The `MetaData` of one schema, by PostgreSQL schema name, folder name or alias."""
    return registry.find(schema).models_module().Base.metadata
