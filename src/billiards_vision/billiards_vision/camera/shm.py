# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Shared-memory segments between the camera driver and its capture child, named by their owner.

multiprocessing.shared_memory registers every segment with a resource-tracker
process; when the node is killed (SIGKILL, OOM) the tracker unlinks the segment
and prints "leaked shared_memory objects". Our segments are plain files in
/dev/shm whose name carries the creating process's pid and start time, so the
next capture process that starts, on any later run, finds the segments whose
owner is gone and unlinks them.
"""
from __future__ import annotations

import mmap
import os
from typing import Optional

SHM_DIR = '/dev/shm'
PREFIX = 'billiards_capture_'


def process_tag(pid: int) -> Optional[str]:
    """'<pid>_<start time in clock ticks>' of a running process (pids are reused, start times
    are not); None when it is gone or /proc cannot tell."""
    try:
        with open(f'/proc/{pid}/stat') as f:
            stat = f.read()
    except OSError:
        return None
    fields = stat[stat.rindex(')') + 2:].split()  # after "pid (comm) ", comm may hold spaces
    return f'{pid}_{fields[19]}'  # field 22 of proc(5), starttime


def available() -> bool:
    """Named segments need /dev/shm and /proc (Linux)."""
    return os.path.isdir(SHM_DIR) and process_tag(os.getpid()) is not None


class Segment:
    """A read-write mapping of /dev/shm/<name>; `create` makes a new one of `size` bytes."""

    def __init__(self, name: str, size: int = 0, create: bool = False):
        self.name = name
        self.path = os.path.join(SHM_DIR, name)
        flags = os.O_RDWR | (os.O_CREAT | os.O_EXCL if create else 0)
        fd = os.open(self.path, flags, 0o600)
        try:
            if create:
                os.ftruncate(fd, size)
            self.size = os.fstat(fd).st_size
            self.buf = mmap.mmap(fd, self.size)
        except BaseException:
            os.close(fd)
            if create:
                os.unlink(self.path)
            raise
        os.close(fd)

    @classmethod
    def new(cls, serial: int, size: int) -> 'Segment':
        return cls(f'{PREFIX}{process_tag(os.getpid())}_{serial}', size, create=True)

    def close(self) -> None:
        self.buf.close()

    def unlink(self) -> None:
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass  # reclaimed already


def reclaim_stale() -> list[str]:
    """Unlink the segments of capture owners that no longer run; returns their names."""
    reclaimed = []
    try:
        names = os.listdir(SHM_DIR)
    except OSError:
        return reclaimed
    for name in names:
        if not name.startswith(PREFIX):
            continue
        parts = name[len(PREFIX):].split('_')
        if len(parts) != 3 or not parts[0].isdigit():
            continue
        if process_tag(int(parts[0])) != f'{parts[0]}_{parts[1]}':
            try:
                os.unlink(os.path.join(SHM_DIR, name))
            except FileNotFoundError:
                continue  # another node reclaimed it first
            reclaimed.append(name)
    return reclaimed
