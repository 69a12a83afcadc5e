#!/usr/bin/env bash
# Builds the gateway (without the web page) and the load harness in Release, then runs
# `Switchboard.LoadTest mass` with the given options: 19,500 clients (by default) end at once — close frames, TCP
# resets, SIGTERM to the gateway — each phase on a fresh gateway with $connect/$disconnect http integrations to a
# backend in the harness that counts the calls. Prints per phase what was delivered, missing and repeated, writes
# mass.md to --out, and exits 1 when a $disconnect is missing or repeated (or the gateway did not exit 0).
#
#   bench/mass.sh                      # 19,500 clients, every phase
#   bench/mass.sh --n 2000 --phases close,shutdown
#   bench/mass.sh --help
#
# Builds take the lock /tmp/switchboard-build.lock (flock) so they never overlap with other builds on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

if [ "${1:-}" != "--help" ] && [ "${1:-}" != "-h" ] && [ "${SKIP_BUILD:-}" != "1" ]; then
  for project in src/Switchboard.Server bench/Switchboard.LoadTest; do
    echo "==> building $project"
    flock /tmp/switchboard-build.lock dotnet build "$project" -c Release -p:SkipClientBuild=true -nodeReuse:false -v:quiet -clp:ErrorsOnly
  done
fi

exec dotnet bench/Switchboard.LoadTest/bin/Release/net10.0/Switchboard.LoadTest.dll mass "$@"
