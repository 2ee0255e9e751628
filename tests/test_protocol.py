"""The protocol's models (server.protocol): what every one of them shares."""

from __future__ import annotations

from pydantic import BaseModel

from server import protocol as p

MODELS = [m for m in vars(p).values() if isinstance(m, type) and issubclass(m, BaseModel)]


def test_every_model_is_built_on_first_use() -> None:
    """Not at import: a node builds only the validators and serializers of the events it handles
    (docs/benchmarks.md, the idle node's memory). tests/test_docs.py and tests/test_error_codes.py
    build and use every one of them."""
    assert len(MODELS) > 100
    assert [m.__name__ for m in MODELS if not m.model_config.get("defer_build")] == []
