#!/usr/bin/env bash
# Makes sure the lab's images (docker-network-lab/{tomcat,redis,sandbox}) exist for the current recipes:
# builds what is missing or outdated, and is quick (a second or less) when nothing changed.
# Needs a Docker engine (ensure-engine.sh). Building needs root and Debian's package archive.
set -euo pipefail
exec bash "$(dirname "${BASH_SOURCE[0]}")/../images/build.sh" "$@"
