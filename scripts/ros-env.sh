# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
#
# Source this file to get the full environment in a shell:
#   source scripts/ros-env.sh
# - with a system ROS 2 already sourced (ROS_DISTRO set): .venv on top of it;
# - otherwise: the ROS 2 Jazzy wheels in .venv/ (prefix on AMENT/CMAKE paths);
# then the built workspace (install/setup.bash) unless --no-workspace is given.
_bv_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$_bv_root/.venv/bin/python" ]; then
  echo "ros-env.sh: $_bv_root/.venv is missing; run 'make setup' first" >&2
  return 1 2>/dev/null || exit 1
fi
export VIRTUAL_ENV="$_bv_root/.venv"
case ":$PATH:" in *":$VIRTUAL_ENV/bin:"*) ;; *) export PATH="$VIRTUAL_ENV/bin:$PATH" ;; esac
if [ -z "${ROS_DISTRO:-}" ] || [ "${BILLIARDS_WHEEL_ROS:-}" = 1 ]; then
  # Wheel environment: the venv prefix is the ROS underlay.
  export BILLIARDS_WHEEL_ROS=1
  export ROS_DISTRO=jazzy
  export ROS_VERSION=2
  export ROS_PYTHON_VERSION=3
  case ":${AMENT_PREFIX_PATH:-}:" in *":$VIRTUAL_ENV:"*) ;; *) export AMENT_PREFIX_PATH="$VIRTUAL_ENV${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}" ;; esac
  case ":${CMAKE_PREFIX_PATH:-}:" in *":$VIRTUAL_ENV:"*) ;; *) export CMAKE_PREFIX_PATH="$VIRTUAL_ENV${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}" ;; esac
fi
export RMW_IMPLEMENTATION="${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}"
# Large images across processes: see config/fastdds_large_data.xml and README.
export FASTRTPS_DEFAULT_PROFILES_FILE="${FASTRTPS_DEFAULT_PROFILES_FILE:-$_bv_root/src/billiards_vision/config/fastdds_large_data.xml}"
if [ "${1:-}" != "--no-workspace" ]; then
  if [ -f "$_bv_root/install/setup.bash" ]; then
    # shellcheck source=/dev/null
    source "$_bv_root/install/setup.bash"
    # Our executables (`ros2 run billiards_vision X` on a full ROS install) as plain commands.
    case ":$PATH:" in *":$_bv_root/install/billiards_vision/lib/billiards_vision:"*) ;;
      *) export PATH="$_bv_root/install/billiards_vision/lib/billiards_vision:$PATH" ;; esac
  else
    echo "ros-env.sh: workspace not built; run 'make setup'" >&2
  fi
fi
unset _bv_root
