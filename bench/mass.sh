#!/usr/bin/env bash
# Builds the gateway and the load harness (bench/harness.sh), then runs
# `Switchboard.LoadTest mass` with the given options: 19,500 clients (by default) end at once — close frames, TCP
# resets, SIGTERM to the gateway — each phase on a fresh gateway with $connect/$disconnect http integrations to a
# backend in the harness that counts the calls. Prints per phase what was delivered, missing and repeated, writes
# mass.md to --out, and exits 1 when a $disconnect is missing or repeated (or the gateway did not exit 0).
#
#   bench/mass.sh                      # 19,500 clients, every phase
#   bench/mass.sh --n 2000 --phases close,shutdown
#   bench/mass.sh --help
set -euo pipefail
exec "$(dirname "$0")/harness.sh" mass "$@"
