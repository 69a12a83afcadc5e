#!/usr/bin/env bash
# Builds the gateway (without the web page) and the load harness in Release, then runs one verb of
# Switchboard.LoadTest with the given options:
#
#   bench/harness.sh churn …          # connect/message/disconnect cycles (bench/churn.sh)
#   bench/harness.sh mass …           # thousands of connections ending at once (bench/mass.sh)
#   bench/harness.sh memory-limit …   # the gateway under a heap limit: connections until the first refusal
#   bench/harness.sh <verb> --help
#
# (`compare`, which also needs the peers, has bench/run.sh.) SKIP_BUILD=1 skips the build. Builds take the lock
# /tmp/switchboard-build.lock (flock) so they never overlap with other builds on the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0

verb="${1:?usage: bench/harness.sh <churn|mass|memory-limit> [options]}"
shift
if [ "${1:-}" != "--help" ] && [ "${1:-}" != "-h" ] && [ "${SKIP_BUILD:-}" != "1" ]; then
  for project in src/Switchboard.Server bench/Switchboard.LoadTest; do
    echo "==> building $project"
    flock /tmp/switchboard-build.lock dotnet build "$project" -c Release -p:SkipClientBuild=true -nodeReuse:false -v:quiet -clp:ErrorsOnly
  done
fi

exec dotnet bench/Switchboard.LoadTest/bin/Release/net10.0/Switchboard.LoadTest.dll "$verb" "$@"
