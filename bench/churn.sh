#!/usr/bin/env bash
# Builds the gateway and the load harness (bench/harness.sh), then runs
# `Switchboard.LoadTest churn` with the given options: connect → messages → disconnect cycles against the real gateway,
# whose $connect, $disconnect and $default http integrations call a backend the harness hosts; on SQLite (one node)
# and/or a 3-node Redis cluster (a redis-server the harness starts). Progress is printed at every checkpoint; the
# summary at the end; results.md and results.json are written to --out. Exit code 1 when a check failed.
#
#   bench/churn.sh --duration 2m --checkpoint 15s                        # a short run on SQLite
#   bench/churn.sh --registry sqlite,redis --out docs/benchmarks/churn   # 30 min each (the soak of docs/reliability.md)
#   bench/churn.sh --help
set -euo pipefail
exec "$(dirname "$0")/harness.sh" churn "$@"
