#!/usr/bin/env bash
# Builds Switchboard (without the web page), the peers and the load harness in Release, then runs
# `Switchboard.LoadTest compare` with the given options: Switchboard, the raw Kestrel peer and the SignalR peer
# are started in turn as separate processes for each connection count; progress is printed as it goes; the table
# with ratios is printed at the end and results.json, results.md and charts/*.svg are written to --out.
#
#   bench/run.sh                                   # defaults: N = 1000,5000, short phases (see --help)
#   bench/run.sh --n 1000,5000,10000,max --hold 60 --broadcasts 1000 --unicasts 20000 --echo-seconds 10
#   bench/run.sh --help
#
# Builds take the lock /tmp/switchboard-build.lock (flock) so they never overlap with other builds on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

if [ "${1:-}" != "--help" ] && [ "${1:-}" != "-h" ] && [ "${SKIP_BUILD:-}" != "1" ]; then
  for project in src/Switchboard.Server bench/Peers.RawKestrel bench/Peers.SignalR bench/Switchboard.LoadTest; do
    echo "==> building $project"
    flock /tmp/switchboard-build.lock dotnet build "$project" -c Release -p:SkipClientBuild=true -nodeReuse:false -v:quiet -clp:ErrorsOnly
  done
fi

if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
  exec dotnet bench/Switchboard.LoadTest/bin/Release/net10.0/Switchboard.LoadTest.dll --help
fi
exec dotnet bench/Switchboard.LoadTest/bin/Release/net10.0/Switchboard.LoadTest.dll compare "$@"
