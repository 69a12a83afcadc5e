#!/usr/bin/env bash
# Runs every test suite of Switchboard, installing what they need when it is missing:
# apt packages (redis-server, chromium, curl, openssl, systemd, nginx-light) when run as root, npm packages with `npm ci`, NuGet packages with restore.
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
  command -v curl >/dev/null 2>&1 || missing+=(curl)
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)  # checks deploy/systemd/switchboard.service
  [ -x /usr/sbin/nginx ] || missing+=(nginx-light)                     # runs deploy/nginx/switchboard.conf
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "Missing: ${missing[*]}. Install them (apt-get install ${missing[*]}) or run this script as root." >&2
    return 0
  fi
  step "Installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # The tests start their own nginx and redis-server; a package must not start a system service (nginx on port 80).
  local no_services=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && no_services=1
  fi
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -z "$no_services" ] || rm -f /usr/sbin/policy-rc.d
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

step "Packing; installing the tool from the packages and running it; building samples/Embedding from the packages"
# What a user without a clone gets; each check counts once. The tool and the sample restore through a NuGet.config of
# their own: the Switchboard packages only from this pack, everything else only from the package cache the build has
# just filled (no registry is asked, and no other package of the same name can stand in), extracted into an empty
# package folder (so no earlier pack of the same version can stand in either).
record() { if [ "$1" -eq 0 ]; then add_counts 1 0; else echo "$2" >&2; add_counts 0 1; suite_failed=1; fi; }
# Whether a child process still runs: `kill -0` also succeeds for one that has exited and not been waited for yet.
running() { [ -e "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
packages="$ROOT/.artifacts/packages"
install_dir="$(mktemp -d)"
version="$(dotnet msbuild src/Switchboard/Switchboard.csproj -getProperty:Version)"
rm -rf "$packages"
dotnet pack Switchboard.slnx -c Release --no-build -o "$packages" -nodeReuse:false -p:UseSharedCompilation=false -v:quiet -clp:ErrorsOnly
pack_status=$?
for id in Switchboard Switchboard.Sqlite Switchboard.Redis Switchboard.Tool; do
  [ -f "$packages/$id.$version.nupkg" ] || { echo "missing: $packages/$id.$version.nupkg" >&2; pack_status=1; }
done
record "$pack_status" "dotnet pack did not make the four packages."

package_cache="$(dotnet nuget locals global-packages --list | sed 's/^global-packages: //')"
cat >"$install_dir/NuGet.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="switchboard-pack" value="$packages" />
    <add key="package-cache" value="$package_cache" />
  </packageSources>
  <packageSourceMapping>
    <packageSource key="switchboard-pack"><package pattern="Switchboard" /><package pattern="Switchboard.*" /></packageSource>
    <packageSource key="package-cache"><package pattern="*" /></packageSource>
  </packageSourceMapping>
</configuration>
CONFIG
NUGET_PACKAGES="$install_dir/packages" dotnet tool install --tool-path "$install_dir/tool" \
  --configfile "$install_dir/NuGet.config" Switchboard.Tool --version "$version"
record $? "dotnet tool install Switchboard.Tool $version from $packages failed."

# The installed tool in an empty working directory, on a port the system picks; its apphost finds the runtime that
# runs this script. Checked: the page and the script it names (web/ is in the package), then a WebSocket handshake
# (101) and the tool's CLI listing that connection while it is open.
work_dir="$install_dir/work" && mkdir -p "$work_dir"
(cd "$work_dir" && DOTNET_ROOT="${DOTNET_ROOT:-$(dirname "$(readlink -f "$(command -v dotnet)")")}" \
  exec "$install_dir/tool/switchboard" --urls http://127.0.0.1:0) >"$install_dir/gateway.log" 2>&1 &
gateway_pid=$!
port=""
for _ in $(seq 1 300); do
  port="$(grep -o 'Now listening on: http://127.0.0.1:[0-9]*' "$install_dir/gateway.log" | grep -o '[0-9]*$')"
  if [ -n "$port" ] || ! running "$gateway_pid"; then break; fi
  sleep 0.1
done
base="http://127.0.0.1:$port"
page_status=1
if [ -n "$port" ] && page="$(curl -fsS "$base/")" && grep -q '<title>Switchboard</title>' <<<"$page"; then
  script="$(grep -o 'src="\./assets/[^"]*"' <<<"$page" | sed 's/^src="\.\///; s/"$//')"
  [ -n "$script" ] && curl -fsS -o /dev/null "$base/$script" && page_status=0
fi
record "$page_status" "The installed tool did not serve the page at / with its script."
socket_status=1
if [ -n "$port" ]; then
  # The client is this shell: a socket on file descriptor 3 that stays open until the listing is done.
  if exec 3<>"/dev/tcp/127.0.0.1/$port"; then
    printf 'GET /production HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n' "$port" >&3
    if IFS= read -r -t 10 status_line <&3 && [[ "$status_line" == "HTTP/1.1 101 "* ]]; then
      listing="$("$install_dir/tool/switchboard" connections --endpoint "$base/production" 2>&1)"
      listing_status=$?
      echo "$listing"
      [ "$listing_status" -eq 0 ] && grep -q '127\.0\.0\.1' <<<"$listing" && socket_status=0
    fi
    exec 3>&-
  fi
fi
record "$socket_status" "The installed tool did not answer a WebSocket handshake with 101, or its CLI did not list that connection."
kill "$gateway_pid" 2>/dev/null
for _ in $(seq 1 150); do running "$gateway_pid" || break; sleep 0.1; done
kill -KILL "$gateway_pid" 2>/dev/null
wait "$gateway_pid" 2>/dev/null
[ "$page_status$socket_status" = "00" ] || cat "$install_dir/gateway.log" >&2

# Its output and restore state go under the temporary directory: the solution's own build of the sample stays as it is.
NUGET_PACKAGES="$install_dir/packages" dotnet build samples/Embedding/Embedding.csproj -c Release -p:SwitchboardFromPackages=true \
  -p:RestoreConfigFile="$install_dir/NuGet.config" --artifacts-path "$install_dir/embedding" \
  -nodeReuse:false -p:UseSharedCompilation=false -v:quiet -nologo -clp:ErrorsOnly
record $? "samples/Embedding did not build against the packages $version."
rm -rf "$install_dir"

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
