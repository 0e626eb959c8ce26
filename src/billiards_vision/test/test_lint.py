# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""flake8 and licence headers over the package (what ament_flake8 / ament_copyright check)."""
import subprocess
import sys

from conftest import PACKAGE_ROOT, WORKSPACE

SOURCES = [PACKAGE_ROOT / 'billiards_vision', PACKAGE_ROOT / 'test', PACKAGE_ROOT / 'launch', PACKAGE_ROOT / 'setup.py']


def test_flake8_clean():
    result = subprocess.run([sys.executable, '-m', 'flake8', '--config', str(PACKAGE_ROOT / 'setup.cfg'),
                             *map(str, SOURCES)], capture_output=True, text=True, cwd=PACKAGE_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_source_file_has_the_licence_header():
    files = [p for src in SOURCES for p in ([src] if src.is_file() else src.rglob('*.py'))]
    files += list((WORKSPACE / 'scripts').glob('*')) + [WORKSPACE / 'Makefile']
    missing = [str(p) for p in files if p.stat().st_size and 'SPDX-License-Identifier: Apache-2.0' not in
               p.read_text()[:400]]
    assert not missing, missing
