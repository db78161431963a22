"""Work run beside a sync in a forked child (crmsheets/background.py): the result is the
one the parent would have worked out itself, a failing child costs nothing but time, and
a sync made with children writes the very same book as one made without."""

from __future__ import annotations

import os
import re
import threading
import time

import pytest
from conftest import run_cli
from openpyxl import load_workbook

from crmsheets import background

pytestmark = pytest.mark.skipif(
    not background.can_fork(),
    reason="crmsheets runs work in a second process only where it can fork (Linux, one "
           "thread, CRMSHEETS_PROCESSES not 1); elsewhere everything runs in one process")


@pytest.fixture(autouse=True)
def default_setting(monkeypatch):
    """The automatic choice (work big enough, a machine that forks), whatever the
    environment the suite runs in says."""
    monkeypatch.delenv("CRMSHEETS_PROCESSES", raising=False)
    others = [t.name for t in threading.enumerate() if t is not threading.current_thread()]
    assert not others, f"threads left running by earlier tests (no fork then): {others}"


def whose(x):
    yield os.getpid(), x * 2
    yield os.getpid(), x * 3


def here(x):
    return lambda: (os.getpid(), x)


def test_a_child_does_the_work_and_hands_back_each_value_in_turn():
    job = background.start(whose, 21, size=background.MIN_WORK)
    assert job.running
    (pid, first), (pid2, second) = job.take(here(0)), job.take(here(0))
    assert (first, second) == (42, 63)
    assert pid == pid2 != os.getpid()
    assert job.take(here("more")) == (os.getpid(), "more")  # nothing more: done here
    assert not job.running  # and the child was collected
    assert job.child_peak > 0 and job.child_private > 0


def big_then_small():
    yield b"x" * 5_000_000  # far more than a pipe holds: sent while the work goes on
    yield "after"


def test_values_bigger_than_a_pipe_arrive_whole_and_in_order():
    job = background.start(big_then_small, size=background.MIN_WORK)
    time.sleep(0.2)  # the child is well into its work before anything is taken
    assert job.take(lambda: b"") == b"x" * 5_000_000
    assert job.take(lambda: "here") == "after"
    job.close()
    assert not job.running and job.taken == 2


def test_small_work_stays_in_this_process():
    job = background.start(whose, 21, size=10)
    assert not job.running
    assert job.take(here(1)) == (os.getpid(), 1)


def test_one_process_when_the_environment_says_so(monkeypatch):
    monkeypatch.setenv("CRMSHEETS_PROCESSES", "1")
    job = background.start(whose, 1, size=10**9)
    assert not job.running and job.take(here(2)) == (os.getpid(), 2)


def fails_after_one(parent):
    yield "first, from the child"
    raise MemoryError("the child ran out of memory")


def test_a_failed_child_means_the_parent_does_the_rest():
    job = background.start(fails_after_one, os.getpid(), size=background.MIN_WORK)
    assert job.take(here(0)) == "first, from the child"
    assert job.take(here("second")) == (os.getpid(), "second")
    assert job.take(here("third")) == (os.getpid(), "third")
    assert job.taken == 1 and not job.running


def raises():
    raise ValueError("Contacts row 7: something the owner must fix")
    yield


def test_an_error_in_the_work_is_raised_by_the_parent_as_it_would_have_been():
    job = background.start(raises, size=background.MIN_WORK)
    with pytest.raises(ValueError, match="Contacts row 7"):
        job.take(lambda: next(raises()))


def unpicklable():
    yield lambda: "made there"


def test_a_value_that_cannot_travel_is_worked_out_here():
    job = background.start(unpicklable, size=background.MIN_WORK)
    assert job.take(lambda: "made here") == "made here" and job.taken == 0


def slow():
    yield "soon"
    time.sleep(60)
    yield "late"


def test_cancel_stops_the_child_at_once():
    job = background.start(slow, size=background.MIN_WORK)
    assert job.take(lambda: "here") == "soon"
    pid = job.pid
    t = time.monotonic()
    job.cancel()
    assert time.monotonic() - t < 5 and not job.running
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no zombie left behind


def test_a_sync_with_children_writes_the_same_book(tmp_path, monkeypatch):
    """The sample book (duplicates, phones, orders, bad rows) synced twice from the same
    start: in one process, and with the phone checks and the duplicate matching in
    children. The two books, and what the two runs print, are the same."""
    one, two = tmp_path / "one" / "shop.xlsx", tmp_path / "two" / "shop.xlsx"
    one.parent.mkdir()
    two.parent.mkdir()
    assert run_cli("init", one, "--sample", "--as-of", "2026-11-22").exit_code == 0
    two.write_bytes(one.read_bytes())
    outputs = []
    for path, setting in ((one, "1"), (two, "2")):
        monkeypatch.setenv("CRMSHEETS_PROCESSES", setting)
        before, finished = background.started, len(background.children)
        result = run_cli("sync", path, "--as-of", "2026-11-22")
        assert result.exit_code == 0, result.output
        # the backup's name says when it was made: the runs may fall in two seconds
        outputs.append(re.sub(r"\.\d{8}-\d{6}-", ".WHEN-",
                              result.output.replace(str(path.parent), "DIR")))
        # "2": one child, which sent everything it had (phones, then duplicates).
        assert background.started - before == (1 if setting == "2" else 0)
        assert len(background.children) - finished == (1 if setting == "2" else 0)
    assert "Duplicates" in outputs[1]
    assert outputs[0] == outputs[1]
    assert one.read_bytes() == two.read_bytes()
    # The tabs come in the pipeline's order, whenever the child's work was collected.
    assert load_workbook(two, read_only=True).sheetnames == [
        "Contacts", "Orders", "Interactions", "Settings", "Duplicates", "Loyalty", "Issues",
        "Follow-ups", "_crmsheets"]
