"""The README documents every issue code, every setting and every exit code."""

from __future__ import annotations

from pathlib import Path

from crmsheets import errors
from crmsheets.codes import CODES
from crmsheets.settings import SETTINGS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


def test_every_issue_code_is_in_the_readme():
    missing = [code for code in CODES if f"`{code}`" not in README]
    assert not missing, f"issue codes missing from README.md: {missing}"


def test_every_setting_is_in_the_readme():
    missing = [s.key for s in SETTINGS if s.key not in README]
    assert not missing, f"settings missing from README.md: {missing}"


def test_every_exit_code_is_in_the_readme():
    for code in (errors.EXIT_OK, errors.EXIT_FOUND_PROBLEMS, errors.EXIT_USAGE,
                 errors.EXIT_STOPPED, errors.EXIT_TRY_LATER):
        assert f"| {code} |" in README


def test_every_command_is_in_the_readme():
    from crmsheets.cli import main

    missing = [name for name in main.commands if f"crmsheets {name}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"
