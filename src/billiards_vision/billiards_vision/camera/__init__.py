# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""Camera sources and the watchdog-supervised capture behind the camera_driver node.

Nothing in this package imports rclpy: sources and capture are tested without ROS.
"""
from billiards_vision.camera.base import (BadFrame, CaptureSettings, Frame, FrameSource,  # noqa: F401
                                          SourceError, register_scheme, resolve_source,
                                          source_forms, validate_source)
from billiards_vision.camera.capture import Capture  # noqa: F401
