"""dbkit: connect to PostgreSQL (embedded by default), migrate, seed, diagram and explore schemas.

Names load on first use (PEP 562), so `dbkit url` or `dbkit status` import only what they need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# Eager, and light (their heavy imports happen when called): `dbkit.connect` and `dbkit.migrate` are also
# module names, and a submodule imported later would otherwise shadow the function of the same name.
from .connect import async_engine, async_session_factory, connect, engine
from .migrate import migrate, plan

if TYPE_CHECKING:
    from .errors import (
        ConfigError,
        ConnectError,
        DbkitError,
        DriftError,
        MigrationError,
        NotFoundError,
        QueryError,
        ReadOnlyError,
        RLSContextError,
        SeedError,
        ServerError,
        UsageError,
    )
    from .url import mask, resolve

_EXPORTS = {
    "connect": "connect",
    "engine": "connect",
    "async_engine": "connect",
    "async_session_factory": "connect",
    "migrate": "migrate",
    "plan": "migrate",
    "mask": "url",
    "resolve": "url",
    **dict.fromkeys(("DbkitError", "ConfigError", "ConnectError", "DriftError", "MigrationError", "NotFoundError", "QueryError", "ReadOnlyError", "RLSContextError", "SeedError", "ServerError", "UsageError"), "errors"),
}  # fmt: skip

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        try:  # a submodule: `dbkit.explore`, `dbkit.catalog`, ...
            return importlib.import_module(f".{name}", __name__)
        except ModuleNotFoundError:
            raise AttributeError(f"module 'dbkit' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext dbkit`: the `%sql` / `%%sql` magics (see dbkit.magic)."""
    from .magic import load_ipython_extension as load

    load(ipython)
