"""Runs the browser client's unit tests (``tests/js/*.test.mjs``) with Node's test runner.

Without ``node`` the test is skipped with the reason; with ``CI=true`` it fails instead.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def test_node_unit_tests_pass() -> None:
    node = shutil.which("node")
    if node is None:
        reason = "node is not installed, so the client's unit tests (tests/js/*.test.mjs) cannot run"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    files = sorted(str(p.relative_to(ROOT)) for p in HERE.glob("*.test.mjs"))
    assert files, "no tests/js/*.test.mjs found"
    result = subprocess.run(
        [node, "--test", "--test-reporter=spec", *files],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, f"node --test failed:\n{result.stdout}\n{result.stderr}"
