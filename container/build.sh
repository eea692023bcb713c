#!/usr/bin/env bash
# Builds the agent image (default nanokimi-agent:latest, or CONTAINER_IMAGE from .env); Docker prints
# each step as it goes. Extra arguments go to `docker build` (e.g. --build-arg BASE_IMAGE=...).
set -euo pipefail
cd "$(dirname "$0")/.."
image="${CONTAINER_IMAGE:-}"
[ -n "$image" ] || image="$(sed -n 's/^CONTAINER_IMAGE=//p' .env 2>/dev/null | tail -n 1)"
image="${image:-nanokimi-agent:latest}"
source scripts/node-env.sh
command -v docker >/dev/null || { echo "build: the docker command is missing; install Docker first" >&2; exit 1; }
docker info >/dev/null 2>&1 || { echo "build: the Docker engine is not reachable; start it (sudo systemctl start docker)" >&2; exit 1; }
echo "build: installing the agent-runner's packages (copied into the image)"
npm ci --no-fund --no-audit --prefix container/agent-runner
echo "build: building $image from container/Dockerfile"
docker build -f container/Dockerfile -t "$image" "$@" .
echo "build: done. The daemon uses $image (CONTAINER_IMAGE)."
