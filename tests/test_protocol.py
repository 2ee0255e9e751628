"""The protocol's models (server.protocol): what every one of them shares."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from boards.actors import Role
from server import protocol as p
from server.live.gateway import Registry

MODELS = [m for m in vars(p).values() if isinstance(m, type) and issubclass(m, BaseModel)]


def test_every_model_is_built_on_first_use() -> None:
    """Not at import: a node builds only the validators and serializers of the events it handles
    (docs/benchmarks.md, the idle node's memory). tests/test_docs.py and tests/test_error_codes.py
    build and use every one of them."""
    assert len(MODELS) > 100
    assert [m.__name__ for m in MODELS if not m.model_config.get("defer_build")] == []


def test_a_volatile_event_has_a_plain_handler_and_any_other_a_coroutine() -> None:
    """A volatile event runs where it is read, without a task (``Gateway.event_now``): its handler must not
    await; any other event's handler is awaited."""
    registry = Registry()
    on = registry.on

    def move(_live: object, _conn: object, _payload: object) -> dict[str, bool]:
        """A move."""
        return {"ok": True}

    async def post(_live: object, _conn: object, _payload: object) -> dict[str, bool]:
        """A post."""
        return {"ok": True}

    with pytest.raises(TypeError, match="volatile"):
        on("x.move", payload=p.SpaceMove, ack=p.OkAck, roles=frozenset(Role), volatile=True)(post)
    with pytest.raises(TypeError, match="volatile"):
        on("x.post", payload=p.SpaceMove, ack=p.OkAck, roles=frozenset(Role))(move)
    with pytest.raises(TypeError, match="audited"):
        on("x.move", payload=p.SpaceMove, ack=p.OkAck, roles=frozenset(Role), volatile=True, audited=True)(move)
    on("x.move", payload=p.SpaceMove, ack=p.OkAck, roles=frozenset(Role), volatile=True)(move)
    on("x.post", payload=p.SpaceMove, ack=p.OkAck, roles=frozenset(Role))(post)
    assert [(s.name, s.volatile) for s in registry.specs.values()] == [("x.move", True), ("x.post", False)]
