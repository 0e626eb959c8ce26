# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Point the ROS wheels' exported CMake files at this interpreter.

The wheels were built in a manylinux container, and their *.cmake files name
that container's Python and NumPy include folders (/opt/python/cp311-cp311/...).
CMake refuses imported targets with non-existent include paths, so rewrite
them to this environment's folders. Idempotent.
"""
import pathlib
import re
import sys
import sysconfig

import numpy


def main(prefix: str) -> int:
    py_include = sysconfig.get_paths()['include']
    np_include = numpy.get_include()
    # NumPy's include folder first: it is longer and contains the Python prefix.
    numpy_pattern = re.compile(r'/opt/python/cp311-cp311/lib/python3\.11/site-packages/numpy/[\w/]*include')
    python_pattern = re.compile(r'/opt/python/cp311-cp311/include/python3\.11')
    changed = 0
    for path in pathlib.Path(prefix, 'share').rglob('*.cmake'):
        text = path.read_text()
        if '/opt/python/cp311' not in text:
            continue
        new = numpy_pattern.sub(np_include, text)
        new = python_pattern.sub(py_include, new)
        if new != text:
            path.write_text(new)
            changed += 1
    leftover = [str(p) for p in pathlib.Path(prefix, 'share').rglob('*.cmake')
                if '/opt/python/cp311' in p.read_text()]
    print(f'[setup] rewrote include paths in {changed} CMake files')
    if leftover:
        print('[setup] unhandled container paths remain in:', *leftover[:5], sep='\n  ', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else sys.prefix))
