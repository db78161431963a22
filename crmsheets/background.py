"""Work that runs beside the rest of a sync, in a second process.

A 100k-contact sync has parts that need nothing from each other: checking the phone
numbers of Contacts while the Orders sheet is loaded, matching duplicate contacts while
the orders are read and scored. Where the machine can fork (Linux) and the work is big
enough to pay for a process, `start` runs a generator in a forked child, and each value
it yields comes back, in order, through `Job.take`.

`take(otherwise)` is given the same work as a function to call here: it is called when
there is no child (Windows, macOS, an Excel button, a small book, a process with
threads) or when the child failed for any reason (an error, no memory, a value that does
not pickle). So the result never depends on whether a child ran, and an error surfaces
exactly as it would have without one. The work must not change anything the parent
needs: the child's changes stay in the child.

CRMSHEETS_PROCESSES=1 in the environment keeps everything in one process; =2 makes
the child however small the work (where the machine can fork), as the tests do.
"""

from __future__ import annotations

import os
import pickle
import struct
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

# Below this much work (rows, values) a child costs more than it saves.
MIN_WORK = 5_000
started = 0  # children started by this process, for the tests and the benchmark
# (peak RSS, own memory at the end) of each child that finished its work, in bytes.
children: list[tuple[int, int]] = []

_HEAD = struct.Struct("<Q")  # each message: its length, then the pickle


def can_fork() -> bool:
    """Linux, one thread (forking a threaded process can deadlock the child), and not
    turned off by CRMSHEETS_PROCESSES=1."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and _setting() != "1" and threading.active_count() == 1)


def _setting() -> str:
    return os.environ.get("CRMSHEETS_PROCESSES", "").strip()


class Job:
    """The values a generator yields in a forked child, or nothing to take (then each
    take() does the work here)."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.fd = -1
        self.taken = 0  # values that came from the child
        self.child_peak = 0  # the child's max RSS (pages shared with us included)
        self.child_private = 0  # the child's own memory as it finished

    @property
    def running(self) -> bool:
        return self.pid is not None

    def fork(self, work: Callable[..., Iterator[Any]], args: tuple) -> None:
        global started
        read_end, write_end = os.pipe()
        try:
            pid = os.fork()
        except OSError:
            os.close(read_end)
            os.close(write_end)
            return
        if pid == 0:  # the child: work, send each value, leave without cleaning up
            code = 1
            try:
                os.close(read_end)
                with os.fdopen(write_end, "wb") as out:
                    # A value bigger than the pipe waits until the parent takes it; a
                    # thread sends it, so that the work goes on meanwhile.
                    sending: threading.Thread | None = None
                    for value in work(*args):
                        data = pickle.dumps(("value", value), pickle.HIGHEST_PROTOCOL)
                        if sending is not None:
                            sending.join()
                        sending = threading.Thread(target=_send, args=(out, data))
                        sending.start()
                    if sending is not None:
                        sending.join()
                    _send(out, pickle.dumps(("end", _peak(), _private())))
                code = 0
            finally:
                os._exit(code)  # no atexit handlers, no flushing of the parent's buffers
        os.close(write_end)
        self.pid, self.fd = pid, read_end
        started += 1

    def take(self, otherwise: Callable[[], T]) -> T:
        """The child's next value; otherwise() when there is none to take."""
        if self.pid is not None:
            message = self._receive()
            if message is not None and message[0] == "value":
                self.taken += 1
                return message[1]
            self._stop(message)
        return otherwise()

    def close(self) -> None:
        """After the last take: collect the child (it has sent everything by now)."""
        if self.pid is not None:
            self._stop(self._receive())

    def cancel(self) -> None:
        """Stop the child at once (the sync stopped before it needed the values)."""
        if self.pid is not None:
            try:
                os.kill(self.pid, 9)
            except ProcessLookupError:
                pass
            self._stop(None)

    def _receive(self) -> tuple | None:
        head = _read(self.fd, _HEAD.size)
        if len(head) < _HEAD.size:
            return None  # the child failed before sending
        data = _read(self.fd, _HEAD.unpack(head)[0])
        try:
            return pickle.loads(data)
        except Exception:  # noqa: BLE001 - cut short or unreadable: do the work here
            return None

    def _stop(self, message: tuple | None) -> None:
        if message is not None and message[0] == "end":
            self.child_peak, self.child_private = message[1], message[2]
            children.append((self.child_peak, self.child_private))
        elif message is not None:  # a value nobody takes: the child may be blocked on more
            os.kill(self.pid, 9)
        os.close(self.fd)
        os.waitpid(self.pid, 0)
        self.pid = None

    def __del__(self) -> None:
        try:
            self.cancel()
        except Exception:  # noqa: BLE001 - at interpreter exit, os may be gone
            pass


def start(work: Callable[..., Iterator[Any]], *args: Any, size: int) -> Job:
    """Run the generator work(*args) in a child when `size` (rows, values) is worth a
    process and the machine can fork; otherwise the job has nothing to take."""
    job = Job()
    if (size >= MIN_WORK or _setting() == "2") and can_fork():
        job.fork(work, args)
    return job


def _send(out, data: bytes) -> None:
    out.write(_HEAD.pack(len(data)))
    out.write(data)
    out.flush()


def _read(fd: int, n: int) -> bytes:
    parts, got = [], 0
    while got < n:
        chunk = os.read(fd, min(n - got, 1 << 24))
        if not chunk:
            break
        parts.append(chunk)
        got += len(chunk)
    return b"".join(parts)


def _peak() -> int:
    import resource  # not on Windows, where no child is made

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _private() -> int:
    """Memory this process does not share with its parent (Linux), in bytes."""
    try:
        with open("/proc/self/smaps_rollup") as f:
            return sum(int(line.split()[1]) * 1024 for line in f
                       if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except OSError:
        return 0
