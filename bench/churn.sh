#!/usr/bin/env bash
# Builds the gateway (without the web page) and the load harness in Release, then runs
# `Switchboard.LoadTest churn` with the given options: connect → messages → disconnect cycles against the real gateway,
# whose $connect, $disconnect and $default http integrations call a backend the harness hosts; on SQLite (one node)
# and/or a 3-node Redis cluster (a redis-server the harness starts). Progress is printed at every checkpoint; the
# summary at the end; results.md and results.json are written to --out. Exit code 1 when a check failed.
#
#   bench/churn.sh --duration 2m --checkpoint 15s                        # a short run on SQLite
#   bench/churn.sh --registry sqlite,redis --out docs/benchmarks/churn   # 30 min each (the soak of docs/reliability.md)
#   bench/churn.sh --help
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

exec dotnet bench/Switchboard.LoadTest/bin/Release/net10.0/Switchboard.LoadTest.dll churn "$@"
