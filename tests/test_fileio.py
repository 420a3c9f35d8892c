"""Atomic writes: whole files, permissions, nothing left behind on failure."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from qualcode.fileio import write_atomic


def test_written_whole_with_umask_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_atomic(tmp_path / "out" / "table.csv", b"a,b\n")
    finally:
        os.umask(old)
    path = tmp_path / "out" / "table.csv"
    assert path.read_bytes() == b"a,b\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_private_mode(tmp_path: Path) -> None:
    write_atomic(tmp_path / "log.json", b"{}", mode=0o600)
    assert stat.S_IMODE((tmp_path / "log.json").stat().st_mode) == 0o600


def test_failure_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "table.csv"
    path.write_bytes(b"old")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["table.csv"]
