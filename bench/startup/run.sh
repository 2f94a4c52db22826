#!/usr/bin/env bash
# Start-up of `spindle up` on the 12 MB componentize-js component (tests/guests/js-kv): the time from starting the
# process to the first answered request, with a cold compilation cache (compiles the four core modules) and then a
# warm one (deserializes them), N rounds each. Target (issue #8): the warm start answers within 1 s.
#
#   bash bench/startup/run.sh [--rounds N]
#
# Builds the CLI in Release and the guest (scripts/build-js-guests.sh, cached); the cache folder is a fresh temporary
# XDG_CACHE_HOME, so the measurement never depends on earlier runs.
set -euo pipefail

target=1.0
rounds=3
readonly PORT=3917
case "${1:-}" in
  "") ;;
  --rounds) rounds=${2:?--rounds needs a number} ;;
  *) echo "usage: bench/startup/run.sh [--rounds N]" >&2; exit 2 ;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

echo "building the CLI (Release) and the js-kv guest"
dotnet build "$root/src/Spindle.Cli" -c Release --nologo -v quiet -o "$work/cli" >/dev/null
guest=$(bash "$root/scripts/build-js-guests.sh" js-kv | tail -n 1)
mkdir -p "$work/app"
cp "$guest" "$work/app/app.wasm"
cat >"$work/app/spin.toml" <<'TOML'
spin_manifest_version = 2
[application]
name = "js-kv"
[[trigger.http]]
route = "/..."
component = "js-kv"
[component.js-kv]
source = "app.wasm"
key_value_stores = ["default"]
TOML

# Seconds from process start to the first 200 on /v2/get (a fresh instance doing one store call).
first_response() {
  local start end
  start=$(date +%s.%N)
  XDG_CACHE_HOME=$1 "$work/cli/spindle" up -f "$work/app" --listen "127.0.0.1:$PORT" >"$work/up.log" 2>&1 &
  pid=$!
  until curl -fs -o /dev/null "http://127.0.0.1:$PORT/v2/get?key=k"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "spindle up exited:" >&2
      cat "$work/up.log" >&2
      exit 1
    fi
    sleep 0.01
  done
  end=$(date +%s.%N)
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  pid=""
  echo "$end - $start" | bc
}

cold=() warm=()
for ((r = 1; r <= rounds; r++)); do
  cache="$work/cache-$r"
  cold+=("$(first_response "$cache")")
  warm+=("$(first_response "$cache")")
  printf 'round %d: cold cache %.2f s, warm cache %.2f s\n' "$r" "${cold[-1]}" "${warm[-1]}"
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
cold_median=$(median "${cold[@]}")
warm_median=$(median "${warm[@]}")
verdict=$(echo "$warm_median <= $target" | bc)
printf 'median: cold %.2f s, warm %.2f s (target: warm <= %.1f s: %s)\n' "$cold_median" "$warm_median" "$target" \
  "$([ "$verdict" = 1 ] && echo met || echo MISSED)"
