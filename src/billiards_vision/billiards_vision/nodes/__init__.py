# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""The rclpy node shells: each converts messages, declares parameters and calls an algorithm package."""
