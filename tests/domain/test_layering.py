"""The domain (boards/, rooms/) is plain Python: it imports nothing of the edge, of IO or of asyncio.

Every ``import x`` and ``from x import y`` in the domain's modules is read with ``ast``
(relative imports resolved to the package they name), so the rule in the design is kept by a
check. Imports through ``importlib`` strings are not followed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent.parent
DOMAIN = ("boards", "rooms")
# the edge, asyncio, the SQL drivers and toolkits, the web and realtime libraries
FORBIDDEN = (
    "server",
    "asyncio",
    "sqlalchemy",
    "sqlite3",
    "psycopg",
    "psycopg2",
    "asyncpg",
    "aiosqlite",
    "alembic",
    "aiohttp",
    "socketio",
    "engineio",
    "redis",
    "websockets",
    "uvloop",
)


def domain_modules() -> list[Path]:
    return sorted(p for package in DOMAIN for p in (ROOT / package).rglob("*.py"))


def imported(path: Path, root: Path = ROOT) -> list[tuple[int, str]]:
    """The absolute names ``path`` imports (``from m import n``: both m and m.n), with their lines."""
    package = path.relative_to(root).with_suffix("").parts[:-1]
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # from . import x, from ..server import y
                base = list(package[: len(package) - node.level + 1])
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            found.append((node.lineno, module))
            found += [(node.lineno, ".".join(filter(None, [module, alias.name]))) for alias in node.names]
    return found


def forbidden_imports(path: Path, root: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(root)}:{line} imports {name}"
        for line, name in imported(path, root)
        if any(name == top or name.startswith(f"{top}.") for top in FORBIDDEN)
    ]


def test_the_scan_sees_the_domain_and_its_imports() -> None:
    modules = domain_modules()
    assert {p.relative_to(ROOT).as_posix() for p in modules} >= {
        "boards/rules.py",
        "rooms/members.py",
        "rooms/space/grid.py",
        "rooms/space/conversations.py",
    }
    names = {name for p in modules for _line, name in imported(p)}
    assert {"boards.text", "dataclasses", "unicodedata"} <= names


@pytest.mark.parametrize("path", domain_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_the_domain_imports_no_edge_io_or_asyncio(path: Path) -> None:
    assert forbidden_imports(path) == []


def planted(root: Path, source: str) -> Path:
    module = root / "boards" / "planted.py"
    module.parent.mkdir()
    module.write_text(source + "\n", encoding="utf-8")
    return module


@pytest.mark.parametrize(
    "source",
    [
        "import asyncio",
        "import sqlalchemy.ext.asyncio as sa",
        "from server.store.idea_store import Store",
        "from server import protocol",
        "from aiohttp import web",
        "import redis.asyncio",
        "from .. import server",
        "from ..server.live.views import project",
        "def f():\n    import sqlite3\n",
        "if True:\n    from psycopg import connect\n",
        "import socketio",
    ],
)
def test_the_check_catches_such_an_import(tmp_path: Path, source: str) -> None:
    """The same check on a module planted in a copy of the domain's layout."""
    assert forbidden_imports(planted(tmp_path, source), tmp_path) != []


@pytest.mark.parametrize("source", ["import dataclasses", "from boards.text import clean_text", "from . import text"])
def test_the_check_lets_plain_python_pass(tmp_path: Path, source: str) -> None:
    assert forbidden_imports(planted(tmp_path, source), tmp_path) == []
