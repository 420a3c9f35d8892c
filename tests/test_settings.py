"""Project settings (`qualcode.settings`): declared keys and values only, a default until
changed, a supervisor's change that the action log records with the previous value."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from qualcode import accounts
from qualcode.audit import audit_trail
from qualcode.errors import ArgumentError, QualcodeError
from qualcode.settings import (
    SETTINGS,
    Setting,
    change_setting,
    read_setting,
    read_settings,
    register,
)
from qualcode.store import Project


@pytest.fixture(autouse=True)
def example_setting() -> Iterator[Setting]:
    """A setting declared for these tests only, and withdrawn after each."""
    setting = register(
        Setting("example_choice", "first", ("first", "second"), "a setting for these tests")
    )
    yield setting
    SETTINGS.pop(setting.key)


def test_every_setting_is_declared_in_one_place() -> None:
    """The settings module alone declares them: listing them needs no other import."""
    listed = subprocess.run(
        [sys.executable, "-c", "from qualcode.settings import SETTINGS; print(*sorted(SETTINGS))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert listed == ["coding_speakers", "coding_unit", "preamble", "quote_context"]


def test_a_setting_reads_its_default_until_changed(project: Project) -> None:
    assert read_setting(project, "example_choice") == "first"
    assert change_setting(project, "example_choice", " second ") == "second"
    assert read_setting(project, "example_choice") == "second"
    assert read_settings(project)["example_choice"] == "second"
    [entry] = [e for e in audit_trail(project) if e["action"] == "settings.change"]
    assert entry["detail"] == {"key": "example_choice", "from": "first", "to": "second"}


def test_unknown_keys_and_values_are_refused_and_nothing_is_stored(project: Project) -> None:
    with pytest.raises(ArgumentError, match="must be one of first, second"):
        change_setting(project, "example_choice", "third")
    with pytest.raises(ArgumentError, match="no setting 'nonsense'"):
        read_setting(project, "nonsense")
    assert read_setting(project, "example_choice") == "first"


def test_declaring_one_key_two_ways_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="declared twice"):
        register(Setting("example_choice", "second", ("first", "second"), "other"))


def test_only_a_supervisor_changes_a_setting(project: Project) -> None:
    accounts.add_account(project, "ada", "a long passphrase", "admin")
    accounts.add_account(project, "cody", "another passphrase", "coder", by="ada")
    with pytest.raises(QualcodeError, match="only a supervisor or admin"):
        change_setting(project.as_user("cody"), "example_choice", "second")
    change_setting(project.as_user("ada"), "example_choice", "second")
    assert read_setting(project, "example_choice") == "second"
