#!/usr/bin/env bash
# HTTP throughput of the kv-counter example under `spindle up` against the same work done natively in ASP.NET Core
# (bench/Spindle.Benchmarks.NativeCounter), both measured in this run with wrk over loopback. Each request is POST /,
# which does one get and one set of key "count" in the default store (SQLite, in a fresh state dir per server).
#
#   bash bench/http/run.sh [--app DIR | --js] [--rounds N] [--duration SECONDS] [--warmup SECONDS] [--threads N]
#                          [--connections N] [--method post|get|put]
#
# --js measures the same work written as a Spin JavaScript app (bench/guests/js-counter: j2w over @spindle/kv,
# exporting wasi:http/incoming-handler, built and cached by scripts/build-js-guests.sh) instead of the C example;
# its ratio is reported, with no target.
#
# --method get measures GET / instead (one get of "count", no write; the store is empty, so the get answers
# no-such-key), against its own target of 0.60. --method put measures PUT /k<n> of 100-byte values over 10,000 keys
# per wrk thread (bench/http/put.lua: one exists and one durable set each), against a target of 0.80; run it with
# --connections 64 for issue #10's figure (64 concurrent writers, which group commit lets share an fsync).
#
# --app defaults to $SPINDLE_BENCH_APP or examples/kv-counter (a folder with spin.toml and kv-counter.wasm).
# Each round measures spindle, then native, each from a fresh start; --rounds (default 3) repeats that, because every
# POST ends in an fsync and the disk's fsync time drifts from second to second. Prints requests/s and p50/p99 latency
# per round, the medians, and the median of the per-round ratios spindle/native against the target (0.50 for POST).
# The SQLite
# files live under $TMPDIR (default /tmp): put that on the disk you want measured, not on tmpfs.
# Exits non-zero only when the benchmark cannot run or a measurement is invalid (errors, non-2xx responses); a missed
# target is reported, not failed.
set -euo pipefail

post_target=0.50
get_target=0.60
put_target=0.80
readonly HOST=127.0.0.1
readonly READY_SECONDS=60   # startup includes compiling the wasm module when the compilation cache is cold
readonly STOP_SECONDS=10

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
app=${SPINDLE_BENCH_APP:-$root/examples/kv-counter}
rounds=3
duration=10
warmup=3
threads=2
connections=16
method=post
js=0

die() {
    echo "run.sh: $*" >&2
    exit 1
}

while (($# > 0)); do
    case $1 in
        --app) app=${2:?--app needs a folder}; shift 2 ;;
        --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
        --duration) duration=${2:?--duration needs seconds}; shift 2 ;;
        --warmup) warmup=${2:?--warmup needs seconds}; shift 2 ;;
        --threads) threads=${2:?--threads needs a number}; shift 2 ;;
        --connections) connections=${2:?--connections needs a number}; shift 2 ;;
        --method) method=${2:?--method needs post, get or put}; shift 2 ;;
        --js) js=1; shift ;;
        -h | --help) sed -n '2,27p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

for n in "$rounds" "$duration" "$warmup" "$threads" "$connections"; do
    [[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a whole number"
done
((rounds > 0 && duration > 0 && threads > 0 && connections >= threads)) || die "need --rounds > 0, --duration > 0 and --connections >= --threads > 0"
case $method in
    post) target=$post_target; script=(-s "$here/post.lua"); request='POST / (one get + one set of "count")' ;;
    get) target=$get_target; script=(); request='GET / (one get of "count", which is missing: no write)' ;;
    put) target=$put_target; script=(-s "$here/put.lua"); request='PUT /k<n> of 100 B (one exists + one set of a key)' ;;
    *) die "--method must be post, get or put, not '$method'" ;;
esac

for tool in dotnet wrk curl timeout; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed (wrk: apt-get install wrk)"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/spindle-http-bench.XXXXXX")
if ((js)); then
    # A one-component app around the cached JavaScript build, on the default store like the C example.
    js_wasm=$(bash "$root/scripts/build-js-guests.sh" js-counter) || die "building the js-counter guest failed (output above)"
    app=$work/js-app
    mkdir -p "$app"
    cat >"$app/spin.toml" <<TOML
spin_manifest_version = 2
[application]
name = "js-counter"
[[trigger.http]]
route = "/..."
component = "js-counter"
[component.js-counter]
source = "$js_wasm"
key_value_stores = ["default"]
TOML
    target=none
fi

[[ -d $app ]] || die "app folder '$app' does not exist; build the kv-counter example into examples/kv-counter (spin.toml + kv-counter.wasm) or pass --app DIR"
app=$(cd "$app" && pwd)
[[ -f $app/spin.toml ]] || die "no spin.toml in '$app'; pass --app with the kv-counter example's folder"
((js)) || [[ -f $app/kv-counter.wasm ]] || die "no kv-counter.wasm in '$app'; build the example first (see examples/kv-counter) or pass --app DIR"
server_pid=
child_pid=

stop_server() {
    [[ -n $server_pid ]] || return 0
    if kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for ((i = 0; i < STOP_SECONDS * 10; i++)); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$server_pid" 2>/dev/null || true
    fi
    wait "$server_pid" 2>/dev/null || true
    server_pid=
}

# Runs "$@" in the background and waits for it: unlike a foreground command, the wait is cut short by a signal, so
# Ctrl-C or a TERM cleans up at once instead of after the command finishes.
run_child() {
    "$@" &
    child_pid=$!
    local status=0
    wait "$child_pid" || status=$?
    child_pid=
    return "$status"
}

cleanup() {
    if [[ -n $child_pid ]]; then
        kill -TERM "$child_pid" 2>/dev/null || true
        wait "$child_pid" 2>/dev/null || true
    fi
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A loopback port nothing answers on. Another process could take it before the server binds; the server would then
# exit and the readiness check reports it.
free_port() {
    local port
    for _ in $(seq 50); do
        port=$((20000 + RANDOM % 30000))
        if ! (exec 3<>"/dev/tcp/$HOST/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    die "found no free port on $HOST"
}

echo "== building (Release)"
build() {
    run_child timeout 600 dotnet build -c Release -nologo -v quiet "$1" >"$work/build.log" 2>&1 || {
        cat "$work/build.log" >&2
        die "build of $1 failed"
    }
}
build "$root/src/Spindle.Cli/Spindle.Cli.csproj"
build "$root/bench/Spindle.Benchmarks.NativeCounter/Spindle.Benchmarks.NativeCounter.csproj"
spindle_dll=$root/src/Spindle.Cli/bin/Release/net10.0/spindle.dll
native_dll=$root/bench/Spindle.Benchmarks.NativeCounter/bin/Release/net10.0/Spindle.Benchmarks.NativeCounter.dll
[[ -f $spindle_dll && -f $native_dll ]] || die "build output missing ($spindle_dll, $native_dll)"

# Starts "$@" (which must listen on $port), waits until GET / answers, or fails showing the server's output.
start_server() {
    local name=$1
    shift
    "$@" >"$work/$name.log" 2>&1 &
    server_pid=$!
    for ((i = 0; i < READY_SECONDS * 10; i++)); do
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$work/$name.log" >&2
            server_pid=
            die "$name exited before serving (output above)"
        fi
        if curl -sf -o /dev/null --max-time 1 "http://$HOST:$port/"; then
            return 0
        fi
        sleep 0.1
    done
    cat "$work/$name.log" >&2
    die "$name did not answer on http://$HOST:$port/ within ${READY_SECONDS}s"
}

# wrk's "Latency Distribution" value for a percentile, in ms.
percentile_ms() {
    awk -v p="$1%" '$1 == p {
        v = $2
        if (v ~ /us$/) { sub(/us$/, "", v); v /= 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /s$/) { sub(/s$/, "", v); v *= 1000 }
        printf "%.2f", v
    }' "$2"
}

# Median of the numbers on stdin.
median() {
    sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

declare -A rps p50 p99 count

# One measurement: start the server in a fresh state dir, warm up, measure, stop it; figures go under "$name.$round".
measure() {
    local name=$1 round=$2
    shift 2
    local key=$name.$round
    local state=$work/$key-state
    mkdir -p "$state"
    port=$(free_port)
    local url=http://$HOST:$port/
    start_server "$name" "$@" --listen "$HOST:$port" --state-dir "$state"

    if ((warmup > 0)); then
        run_child timeout $((warmup + 30)) wrk -t"$threads" -c"$connections" -d"${warmup}s" "${script[@]}" "$url" >"$work/$key.warmup" ||
            die "wrk warm-up against $name failed"
    fi
    run_child timeout $((duration + 30)) wrk -t"$threads" -c"$connections" -d"${duration}s" --timeout 5s --latency "${script[@]}" "$url" >"$work/$key.wrk" ||
        die "wrk against $name failed"
    if grep -qE 'Non-2xx or 3xx responses|Socket errors' "$work/$key.wrk"; then
        cat "$work/$key.wrk" >&2
        tail -n 20 "$work/$name.log" >&2
        die "$name answered with errors (wrk output and server log above); the measurement is invalid"
    fi

    rps[$key]=$(awk '/^Requests\/sec:/ { print $2 }' "$work/$key.wrk")
    [[ -n ${rps[$key]} ]] || die "no Requests/sec in wrk's output for $name"
    p50[$key]=$(percentile_ms 50 "$work/$key.wrk")
    p99[$key]=$(percentile_ms 99 "$work/$key.wrk")
    count[$key]=$(curl -sf --max-time 5 "$url" | tr -dc '0-9') || die "$name did not answer GET / after the run"
    stop_server
    printf '%-6s %-8s %12s %10s %10s %12s\n' "$round" "$name" "${rps[$key]}" "${p50[$key]:-?}" "${p99[$key]:-?}" "${count[$key]}"
}

# A private compilation cache, so the run neither depends on nor fills the user's.
export SPINDLE_CACHE_DIR=$work/cache

# A guest's instance slot is freed just after its response is sent, so with as many connections as slots a new request
# can find them all taken and get 503: spindle up gets room for 16 more instances than connections (default 64).
max_instances=$((connections + 16 > 64 ? connections + 16 : 64))

echo "== wrk -t$threads -c$connections -d${duration}s on http://$HOST, $request, after ${warmup}s warm-up; $rounds round(s)"
echo "   (count = the counter afterwards: lower than the requests served, because concurrent get-then-set loses updates)"
printf '%-6s %-8s %12s %10s %10s %12s\n' round server "requests/s" "p50 ms" "p99 ms" count
ratios=()
for ((round = 1; round <= rounds; round++)); do
    measure spindle "$round" dotnet "$spindle_dll" up -f "$app" --max-instances "$max_instances"
    measure native "$round" dotnet "$native_dll"
    ratios+=("$(awk -v s="${rps[spindle.$round]}" -v n="${rps[native.$round]}" 'BEGIN { printf "%.3f", s / n }')")
done

echo
echo "== medians over $rounds round(s)"
printf '%-8s %12s %10s %10s\n' server "requests/s" "p50 ms" "p99 ms"
# The figures of one server over all rounds, one per line, from the array named $1.
column() {
    local -n figures=$1
    for ((r = 1; r <= rounds; r++)); do echo "${figures[$2.$r]}"; done
}
for name in spindle native; do
    printf '%-8s %12s %10s %10s\n' "$name" "$(column rps "$name" | median)" "$(column p50 "$name" | median)" "$(column p99 "$name" | median)"
done
echo "per-round ratios: ${ratios[*]}"
printf '%s\n' "${ratios[@]}" | median | awk -v t="$target" '{
    if (t == "none") printf "ratio spindle/native = %.2f (reported, no target)\n", $1
    else printf "ratio spindle/native = %.2f (target >= %.2f: %s)\n", $1, t, ($1 >= t ? "met" : "NOT met")
}'
