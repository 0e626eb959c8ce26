# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
"""One node of billiards_graph as its own process:

  python -m billiards_vision.tools.node_process NAME MODULE NICE --ros-args ...

Only light imports come before the signal handlers: a SIGINT/SIGTERM that
arrives while the node is still importing (Ctrl-C just after a restart) ends it
with code 0, like a stop once it runs, instead of a KeyboardInterrupt traceback.
The node's own main() then installs run_node's handlers.
"""
import importlib
import os
import signal
import sys

from billiards_vision.tools.processes import die_with_parent

PARENT_ENV = 'BILLIARDS_GRAPH_PARENT'  # pid of the supervisor, to die with it


def _stop_during_startup(signum, frame):
    raise SystemExit(0)


def main() -> int:
    signal.signal(signal.SIGINT, _stop_during_startup)
    signal.signal(signal.SIGTERM, _stop_during_startup)
    name, module_name, nice = sys.argv[1:4]
    parent = os.environ.get(PARENT_ENV)
    if parent is not None and not die_with_parent(int(parent)):
        return 1  # the supervisor is gone already
    if int(nice):
        os.nice(int(nice))
    module = importlib.import_module(module_name)
    return module.main([f'billiards_graph:{name}', *sys.argv[4:]])


if __name__ == '__main__':
    sys.exit(main())
