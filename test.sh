#!/usr/bin/env bash
# Runs every test suite of Switchboard, installing what they need when it is missing:
# apt packages (redis-server, chromium) when run as root, npm packages with `npm ci`, NuGet packages with restore.
# Ends with one line "N passed, N failed" totalling all suites. Exit code 0 only if every suite passed.
#
# Usage: ./test.sh            all suites
#        ./test.sh --no-install   skip the apt step (the tests then fail, not skip, where a component is missing under CI=true)
set -uo pipefail
cd "$(dirname "$0")"
ROOT="$(pwd)"
RESULTS="$ROOT/.artifacts/test-results"
rm -rf "$RESULTS" && mkdir -p "$RESULTS"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false

step() { printf '\n==> %s\n' "$*"; }

install_packages() {
  local missing=()
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing: ${missing[*]}. Install them (apt-get install ${missing[*]}) or run this script as root." >&2
    return 0
  fi
  step "Installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

[ "${1:-}" = "--no-install" ] || install_packages

passed=0
failed=0
suite_failed=0
add_counts() { passed=$((passed + $1)); failed=$((failed + $2)); }

step "Building (Release)"
if ! dotnet build Switchboard.slnx -c Release -nodeReuse:false -p:UseSharedCompilation=false -v:quiet -clp:ErrorsOnly; then
  echo "Build failed." >&2
  echo "0 passed, 1 failed"
  exit 1
fi

step "Checking code style (dotnet format --verify-no-changes)"
if dotnet format Switchboard.slnx --verify-no-changes --no-restore; then
  add_counts 1 0
else
  echo "Code style differs from .editorconfig: run 'dotnet format Switchboard.slnx'." >&2
  add_counts 0 1
  suite_failed=1
fi

step "Checking ./switchboard from another working directory (a relative --definition path means what was typed)"
check_dir="$(mktemp -d)"
printf '{ "Switchboard": { "Stage": "from-cwd" } }\n' > "$check_dir/my-api.json"
check_output="$(cd "$check_dir" && "$ROOT/switchboard" config check my-api.json 2>&1)"
check_status=$?
echo "$check_output"
if [ "$check_status" -eq 0 ] && grep -q "$check_dir/my-api.json: OK — stage 'from-cwd'" <<<"$check_output"; then
  add_counts 1 0
else
  echo "./switchboard did not find my-api.json in its working directory." >&2
  add_counts 0 1
  suite_failed=1
fi
rm -rf "$check_dir"

run_dotnet_suite() {
  local project="$1" name
  name="$(basename "$project")"
  step "dotnet test $name"
  dotnet test "$project" -c Release --no-build --logger "trx;LogFileName=$name.trx" --results-directory "$RESULTS" || suite_failed=1
  local trx="$RESULTS/$name.trx"
  if [ -f "$trx" ]; then
    local p f
    p=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' passed="[0-9]*"' | grep -o '[0-9]*')
    f=$(grep -o '<Counters [^>]*' "$trx" | grep -o ' failed="[0-9]*"' | grep -o '[0-9]*')
    add_counts "${p:-0}" "${f:-0}"
  else
    add_counts 0 1
  fi
}

for project in tests/Switchboard.Tests tests/Switchboard.FunctionalTests tests/Switchboard.Redis.Tests tests/Switchboard.Samples.Tests; do
  run_dotnet_suite "$project"
done

run_node_suite() {
  local dir="$1" log="$RESULTS/$(basename "$1").log"
  step "npm test in $dir"
  (cd "$dir" && npm ci --no-audit --no-fund --silent && npm test) 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || suite_failed=1
  local p f
  # node --test prints "ℹ pass N" / "ℹ fail N"; vitest prints "Tests  N passed | M failed (T)", with colour codes
  # between the words (it colours even into a pipe), so those are stripped first.
  local plain
  plain=$(sed 's/\x1b\[[0-9;]*m//g' "$log")
  p=$(grep -aoE '(ℹ pass [0-9]+|Tests +[0-9]+ passed)' <<<"$plain" | grep -oE '[0-9]+' | tail -1)
  f=$(grep -aoE '(ℹ fail [0-9]+|[0-9]+ failed)' <<<"$plain" | grep -oE '[0-9]+' | tail -1)
  if [ -z "$p$f" ]; then add_counts 0 1; else add_counts "${p:-0}" "${f:-0}"; fi
}

run_node_suite clients/web
SWITCHBOARD_SERVER_DLL="$ROOT/src/Switchboard.Server/bin/Release/net10.0/Switchboard.Server.dll" run_node_suite tests/compat-js
SWITCHBOARD_SERVER_DLL="$ROOT/src/Switchboard.Server/bin/Release/net10.0/Switchboard.Server.dll" run_node_suite tests/browser

if [ "$suite_failed" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
echo
echo "$passed passed, $failed failed"
[ "$suite_failed" -eq 0 ] && [ "$failed" -eq 0 ]
