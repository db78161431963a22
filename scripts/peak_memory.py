"""The peak memory of this process, for the benchmarks: each measurement runs in a fresh
process that scripts/bench starts."""

from __future__ import annotations

import resource
import sys


def peak() -> int:
    """Bytes. On Linux the high-water mark of this process's own memory (VmHWM), not
    ru_maxrss: Linux carries ru_maxrss across exec, so a process started by a bigger one
    reports the bigger one's size (a 10 MB process started by a 300 MB benchmark runner
    says 300 MB)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    scale = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale
