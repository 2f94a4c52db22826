#!/usr/bin/env bash
# Guest get and set throughput on Spindle's Redis and PostgreSQL backends against each server's own benchmark tool,
# all measured in this run on throw-away servers this script starts (and removes on every exit, Ctrl-C included).
#
#   bash bench/backends/run.sh [--redis | --postgres] [--clients C] [--seconds S] [--warmup S] [--rounds R]
#                              [--keys K] [--requests N] [--batch N] [--pg-options ';Key=Value...']
#
# Spindle: C concurrent kv-loop guests (bench/guests/kv-loop, a Spin 1.x HTTP core module) on Spindle's guest threads
# (bench/Spindle.Benchmarks.Backends, built in Release), each looping get, then set, of a 100-byte value on the store
# `default`, which a runtime config points at the server. Keys are drawn at random from K keys (default 10,000),
# all written before the first round so that every get finds its key.
#
# Baselines, on the same server, with the same concurrency C, value size and key space:
#   redis     redis-benchmark -t set,get -c C -d 100 -P 1 -r K -n N (N = --requests, default 200,000 per test);
#             Spindle's keys have its shape (key:<12 digits>).
#   postgres  pgbench -n -c C -j 2 -T S -M prepared -f <script>, one script per operation holding the statement
#             Spindle's backend runs for it (src/Spindle.Postgres/PostgresSql.cs: Get, Set) on Spindle's table, with
#             the same parameters (store text, key and value bytea). Keys are 16 decimal digits, which pgbench can
#             generate as a number (1000 followed by the 12 digits).
#
# --pg-options appends settings to the connection string Spindle's PostgreSQL store gets, to compare settings (for
# example ';Max Auto Prepare=0;No Reset On Close=false' is how the backend ran before it set its own defaults).
#
# Each round runs Spindle (get, then set, each after a warm-up of --warmup seconds, measured for --seconds), then the
# baseline; --rounds (default 3) repeats that, because the machine's other load moves the figures. Prints ops/s per
# round, the medians, and for each operation the median of the per-round ratios spindle/baseline against its target:
#
#   ratio spindle/redis-benchmark get = 0.620 (target >= 0.50: met)
#
# PostgreSQL runs with its defaults (fsync on, synchronous_commit on), so a set on either side returns only after its
# commit is flushed; its data folder is under $TMPDIR (default /tmp): put that on the disk you want measured. Redis
# runs without persistence (--save "" --appendonly no) for both sides. As root, postgres runs as user nobody (it
# refuses to run as root).
#
# Exits non-zero only when the benchmark cannot run (a missing tool, a failed build, a server that does not start, a
# guest error); a missed target is reported, not failed.
set -euo pipefail

readonly TARGET=0.50
readonly HOST=127.0.0.1
readonly VALUE_BYTES=100
readonly READY_SECONDS=30
readonly STOP_SECONDS=10

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
backends=(redis postgres)
clients=16
seconds=10
warmup=2
rounds=3
keys=10000
requests=200000
batch=200
pg_options=

die() {
    echo "run.sh: $*" >&2
    exit 1
}

while (($# > 0)); do
    case $1 in
        --redis) backends=(redis); shift ;;
        --postgres) backends=(postgres); shift ;;
        --clients) clients=${2:?--clients needs a number}; shift 2 ;;
        --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
        --warmup) warmup=${2:?--warmup needs a number}; shift 2 ;;
        --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
        --keys) keys=${2:?--keys needs a number}; shift 2 ;;
        --requests) requests=${2:?--requests needs a number}; shift 2 ;;
        --batch) batch=${2:?--batch needs a number}; shift 2 ;;
        --pg-options) pg_options=${2?--pg-options needs settings}; shift 2 ;;
        -h | --help) sed -n '2,38p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument '$1' (see --help)" ;;
    esac
done

for n in "$clients" "$seconds" "$warmup" "$rounds" "$keys" "$requests" "$batch"; do
    [[ $n =~ ^[0-9]+$ ]] || die "'$n' is not a whole number"
done
((clients > 0 && seconds > 0 && rounds > 0 && keys > 0 && requests > 0 && batch > 0)) ||
    die "--clients, --seconds, --rounds, --keys, --requests and --batch must be above 0"
((keys < 1000000000000)) || die "--keys must be below 10^12 (keys carry 12 digits)"

need() {
    command -v "$1" >/dev/null || die "'$1' is not installed${2:+ ($2)}"
}
need dotnet
need timeout
for backend in "${backends[@]}"; do
    case $backend in
        redis)
            for tool in redis-server redis-cli redis-benchmark; do
                need "$tool" "apt-get install -y redis-server redis-tools"
            done
            ;;
        postgres)
            need pgbench "apt-get install -y postgresql"
            need psql "apt-get install -y postgresql"
            pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
            [[ -n $pg_bin && -x $pg_bin/initdb && -x $pg_bin/postgres ]] ||
                die "initdb and postgres not found under /usr/lib/postgresql/*/bin (apt-get install -y postgresql)"
            if ((EUID == 0)); then
                need setpriv "util-linux"
                id nobody >/dev/null 2>&1 || die "running as root, but there is no user 'nobody' to run postgres as"
            fi
            ;;
    esac
done

guest=$root/bench/guests/kv-loop/kv-loop.wasm
[[ -f $guest ]] || die "$guest is missing; build it with scripts/build-guests.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/spindle-backends.XXXXXX")
chmod 755 "$work" # postgres, run as nobody, must reach its folder inside
pids=()
child_pid=

# Runs "$@" in the background and waits for it: a wait, unlike a foreground command, is cut short by a signal, so
# Ctrl-C or a TERM cleans up at once.
run_child() {
    "$@" &
    child_pid=$!
    local status=0
    wait "$child_pid" || status=$?
    child_pid=
    return "$status"
}

# Stops one server by its pid: $2 first (TERM or INT), KILL after STOP_SECONDS.
stop_pid() {
    local pid=$1 signal=$2
    kill -0 "$pid" 2>/dev/null || return 0
    kill "-$signal" "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_SECONDS * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    if [[ -n $child_pid ]]; then
        kill -TERM "$child_pid" 2>/dev/null || true
        wait "$child_pid" 2>/dev/null || true
    fi
    for entry in "${pids[@]}"; do
        stop_pid "${entry%%:*}" "${entry#*:}"
    done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A loopback port nothing answers on (another process could take it first; the server then fails to start).
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

# Waits until "$@" succeeds, while the server with pid $1 runs; $2 names its log.
wait_ready() {
    local pid=$1 log=$2
    shift 2
    for ((i = 0; i < READY_SECONDS * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; die "the server exited before it answered (log above)"; }
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    cat "$log" >&2
    die "the server did not answer within ${READY_SECONDS}s (log above)"
}

# Median of the numbers on stdin (the mean of the middle two for an even count), printed with format $1.
median() {
    sort -g | awk -v fmt="$1\n" '{ v[NR] = $1 } END { printf fmt, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

echo "== building bench/Spindle.Benchmarks.Backends (Release)"
project=$root/bench/Spindle.Benchmarks.Backends/Spindle.Benchmarks.Backends.csproj
run_child timeout 900 dotnet build -c Release -nologo -v quiet "$project" >"$work/build.log" 2>&1 || {
    cat "$work/build.log" >&2
    die "build failed (output above)"
}
driver=$root/bench/Spindle.Benchmarks.Backends/bin/Release/net10.0/Spindle.Benchmarks.Backends.dll
[[ -f $driver ]] || die "build output $driver is missing"

echo "== $(nproc) cores; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "   $clients clients, ${VALUE_BYTES}-byte values, $keys keys, $rounds round(s); spindle: ${warmup}s warm-up + ${seconds}s per op, $batch calls per guest instance"

declare -A spindle_ops base_ops
ratio_lines=()

# The Spindle side of one round of backend $1 (filling the key space on the first round): sets spindle_ops.
run_spindle() {
    local backend=$1 config=$2 prefix=$3 round=$4 fill=() op
    ((round == 1)) && fill=(--fill)
    run_child dotnet "$driver" --runtime-config "$config" --guest "$guest" --prefix "$prefix" --keys "$keys" \
        --clients "$clients" --seconds "$seconds" --warmup "$warmup" --batch "$batch" "${fill[@]}" \
        >"$work/spindle.out" 2>&1 || { cat "$work/spindle.out" >&2; die "the Spindle driver failed (output above)"; }
    for op in get set; do
        spindle_ops[$backend.$op.$round]=$(awk -v op="$op" '$1 == "RESULT" && $2 == op { print $3 }' "$work/spindle.out")
    done
}

# Prints the table and the ratios of one backend; $1 is its name, $2 the baseline's.
report() {
    local backend=$1 baseline=$2 op r ratio
    echo
    printf '%-6s %-4s %14s %18s %8s\n' round op "spindle ops/s" "$baseline ops/s" ratio
    for op in get set; do
        local ratios=() s=() b=()
        for ((r = 1; r <= rounds; r++)); do
            ratio=$(awk -v s="${spindle_ops[$backend.$op.$r]}" -v b="${base_ops[$backend.$op.$r]}" 'BEGIN { printf "%.3f", s / b }')
            ratios+=("$ratio")
            s+=("${spindle_ops[$backend.$op.$r]}")
            b+=("${base_ops[$backend.$op.$r]}")
            printf '%-6s %-4s %14s %18s %8s\n' "$r" "$op" "${spindle_ops[$backend.$op.$r]}" "${base_ops[$backend.$op.$r]}" "$ratio"
        done
        printf '%-6s %-4s %14s %18s %8s\n' median "$op" "$(printf '%s\n' "${s[@]}" | median %.1f)" \
            "$(printf '%s\n' "${b[@]}" | median %.1f)" "$(printf '%s\n' "${ratios[@]}" | median %.3f)"
        ratio_lines+=("$(printf '%s\n' "${ratios[@]}" | median %.3f | awk -v name="spindle/$baseline $op" -v t="$TARGET" \
            '{ printf "ratio %s = %.3f (target >= %.2f: %s)", name, $1, t, ($1 >= t ? "met" : "not met") }')")
    done
}

bench_redis() {
    local port pid config
    port=$(free_port)
    mkdir -p "$work/redis"
    redis-server --port "$port" --bind "$HOST" --save "" --appendonly no --dir "$work/redis" \
        >"$work/redis.log" 2>&1 &
    pid=$!
    pids+=("$pid:TERM")
    wait_ready "$pid" "$work/redis.log" redis-cli -h "$HOST" -p "$port" ping
    config=$work/redis.toml
    printf '[key_value_store.default]\ntype = "redis"\nurl = "redis://%s:%s"\n' "$HOST" "$port" >"$config"

    echo
    echo "== Redis $(redis-server --version | awk '{ print $3 }' | cut -d= -f2) on $HOST:$port"
    echo "   baseline: redis-benchmark -t set,get -c $clients -d $VALUE_BYTES -P 1 -r $keys -n $requests"
    local r op
    for ((r = 1; r <= rounds; r++)); do
        run_spindle redis "$config" "key:" "$r"
        run_child timeout 600 redis-benchmark -h "$HOST" -p "$port" -t set,get -c "$clients" -d "$VALUE_BYTES" -P 1 \
            -r "$keys" -n "$requests" --csv >"$work/redis-benchmark.csv" 2>"$work/redis-benchmark.err" ||
            { cat "$work/redis-benchmark.err" >&2; die "redis-benchmark failed"; }
        # --csv: "test","rps",... one line per test.
        base_ops[redis.get.$r]=$(awk -F'"' '$2 == "GET" { print $4 }' "$work/redis-benchmark.csv")
        base_ops[redis.set.$r]=$(awk -F'"' '$2 == "SET" { print $4 }' "$work/redis-benchmark.csv")
        for op in get set; do
            [[ -n ${spindle_ops[redis.$op.$r]:-} && -n ${base_ops[redis.$op.$r]:-} ]] ||
                { cat "$work/spindle.out" "$work/redis-benchmark.csv" >&2; die "round $r: no $op figure (output above)"; }
        done
        echo "   round $r done (load average $(cut -d' ' -f1 /proc/loadavg))"
    done
    report redis redis-benchmark
}

bench_postgres() {
    local port pid config data=$work/pg/data run_as=()
    port=$(free_port)
    mkdir -p "$work/pg"
    if ((EUID == 0)); then
        chown nobody "$work/pg"
        run_as=(setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups --)
    fi
    run_child "${run_as[@]}" "$pg_bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-instructions \
        >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; die "initdb failed (output above)"; }
    # Durability as shipped (fsync, synchronous_commit and full_page_writes on); enough connections for both sides.
    "${run_as[@]}" "$pg_bin/postgres" -D "$data" -p "$port" -k "$work/pg" -c listen_addresses="$HOST" \
        -c max_connections=$((clients * 2 + 20)) >"$work/postgres.log" 2>&1 &
    pid=$!
    pids+=("$pid:INT")
    local psql=(psql -X -q -h "$HOST" -p "$port" -U postgres -d postgres -v ON_ERROR_STOP=1)
    wait_ready "$pid" "$work/postgres.log" "${psql[@]}" -c "SELECT 1"
    config=$work/postgres.toml
    printf '[key_value_store.default]\ntype = "postgres"\nconnection_string = "Host=%s;Port=%s;Username=postgres;Database=postgres%s"\n' \
        "$HOST" "$port" "$pg_options" >"$config"

    # The statements of src/Spindle.Postgres/PostgresSql.cs (Get and Set) on its default table, with the parameters
    # Spindle binds ($1 store, $2 key, $3 value); -M prepared sends each variable as a parameter.
    cat >"$work/get.sql" <<'SQL'
\set k 1000000000000000 + random(0, :keys - 1)
SELECT value FROM "spindle_key_value" WHERE store = :store AND key = :k;
SQL
    cat >"$work/set.sql" <<'SQL'
\set k 1000000000000000 + random(0, :keys - 1)
INSERT INTO "spindle_key_value" AS t (store, key, value) VALUES (:store, :k, :value) ON CONFLICT (store, key) DO UPDATE SET value = EXCLUDED.value, version = DEFAULT;
SQL
    local value jobs=$((clients < 2 ? clients : 2))
    value=$(printf "%${VALUE_BYTES}s" "" | tr ' ' x)
    local pgbench=(pgbench -n -c "$clients" -j "$jobs" -M prepared -h "$HOST" -p "$port" -U postgres
        -D store=default -D keys="$keys" -D value="$value")

    echo
    echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{ print $3 }') on $HOST:$port${pg_options:+, Spindle connection string plus: $pg_options}"
    echo "   baseline: pgbench -n -c $clients -j $jobs -T $seconds -M prepared -f get.sql | set.sql (after ${warmup}s warm-up each)"
    local r op
    for ((r = 1; r <= rounds; r++)); do
        run_spindle postgres "$config" "1000" "$r"
        if ((r == 1)); then
            # The key space must be the rows Spindle wrote: the baseline reads and rewrites the same rows.
            local rows
            rows=$("${psql[@]}" -tA -c "SELECT count(*) FROM spindle_key_value WHERE store = 'default' AND key BETWEEN '1000000000000000'::bytea AND '$((1000000000000000 + keys - 1))'::bytea")
            ((rows == keys)) || die "expected $keys rows written by Spindle, found $rows"
        fi
        for op in get set; do
            if ((warmup > 0)); then
                run_child timeout $((warmup + 60)) "${pgbench[@]}" -T "$warmup" -f "$work/$op.sql" postgres >/dev/null 2>"$work/pgbench.err" ||
                    { cat "$work/pgbench.err" >&2; die "pgbench $op (warm-up) failed"; }
            fi
            run_child timeout $((seconds + 60)) "${pgbench[@]}" -T "$seconds" -f "$work/$op.sql" postgres >"$work/pgbench.out" 2>"$work/pgbench.err" ||
                { cat "$work/pgbench.out" "$work/pgbench.err" >&2; die "pgbench $op failed"; }
            grep -q "number of failed transactions: 0 " "$work/pgbench.out" ||
                { cat "$work/pgbench.out" >&2; die "pgbench $op had failed transactions"; }
            base_ops[postgres.$op.$r]=$(awk '/^tps = / { printf "%.1f", $3 }' "$work/pgbench.out")
            [[ -n ${base_ops[postgres.$op.$r]} && -n ${spindle_ops[postgres.$op.$r]:-} ]] ||
                { cat "$work/spindle.out" "$work/pgbench.out" >&2; die "round $r: no $op figure (output above)"; }
        done
        echo "   round $r done (load average $(cut -d' ' -f1 /proc/loadavg))"
    done
    rows=$("${psql[@]}" -tA -c "SELECT count(*) FROM spindle_key_value")
    ((rows == keys)) || die "the table holds $rows rows after the run, not $keys: the baseline wrote keys Spindle does not"
    report postgres pgbench
}

for backend in "${backends[@]}"; do
    "bench_$backend"
done

echo
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%s\n' "${ratio_lines[@]}"
