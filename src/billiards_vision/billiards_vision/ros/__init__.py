# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""ROS glue shared by the nodes: image bridge, QoS, parameters, message conversions, node entry points."""
