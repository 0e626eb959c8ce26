# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Keep freed image buffers in the process instead of giving them back to the kernel.

glibc serves every allocation above 128 KB with its own mmap and gives it back
with munmap on free, and it trims free memory above 128 KB off the heap's top.
So every Image a node receives or publishes (2.8 MB at 720p, 6.2 MB at 1080p)
arrives in fresh pages: a page fault and kernel zeroing for each 4 KB, on top of
the copy. Measured (two processes, 30 Hz, empty callback, this 2-core machine):
receiving 720p cost 16-18 % of a core per subscriber, 5 % with the thresholds
below; 1080p 37 % -> 9 %. Five nodes take every camera frame.

The cost: a process keeps up to TRIM_THRESHOLD of freed memory for reuse.
Environment variables MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ (glibc's
own tunables) win over these values when set.
"""
from __future__ import annotations

import ctypes
import os

M_TRIM_THRESHOLD = -1   # glibc malloc.h
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20   # glibc's upper bound on 64-bit: 4 * 1 MB * sizeof(long)
TRIM_THRESHOLD = 64 << 20   # a few 1080p frames in flight
ENV_VARS = ('MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_')


def keep_image_buffers() -> bool:
    """Raise glibc's mmap and trim thresholds for this process; False where that does not apply
    (not glibc, or the user set glibc's variables), True when set."""
    if any(v in os.environ for v in ENV_VARS):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False   # not glibc (musl, macOS): their allocators decide alone
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    # Trim first: setting either threshold switches off glibc's dynamic adjustment of both.
    return bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)) and bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD))
