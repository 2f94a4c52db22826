#!/usr/bin/env bash
# Crash harness: kill -9 `spindle up` under concurrent writers, N rounds, and count acknowledged writes that are
# missing afterwards. Each round starts spindle up on examples/kv-counter (default store: SQLite in one state dir
# kept across rounds), runs --writers concurrent HTTP clients that PUT unique keys (the value is the key), and sends
# SIGKILL once --kill-after writes of that round have been acknowledged (a fixed schedule, not a timer). Then it
# checks the database file as the next start would find it: every acknowledged key is there with its exact value,
# no key exists that was never sent, and PRAGMA integrity_check is "ok".
#
#   bash bench/crash/run.sh [--rounds 5] [--writers 64] [--kill-after 2000] [--app DIR]
#
# Prints one line per round and a summary "acknowledged A, lost L, integrity ok|FAILED"; exits 1 when anything
# acknowledged was lost or the file is damaged. Target (issue #10): 0 lost of at least 10,000 acknowledged.
# Needs the .NET SDK and python3. The state dir lives under $TMPDIR (default /tmp): put it on the disk to be tested.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
app=$root/examples/kv-counter
rounds=5
writers=64
kill_after=2000

while (($# > 0)); do
    case $1 in
        --app) app=${2:?--app needs a folder}; shift 2 ;;
        --rounds) rounds=${2:?--rounds needs a number}; shift 2 ;;
        --writers) writers=${2:?--writers needs a number}; shift 2 ;;
        --kill-after) kill_after=${2:?--kill-after needs a number}; shift 2 ;;
        *) echo "run.sh: unknown argument $1 (see the comment at the top)" >&2; exit 2 ;;
    esac
done

command -v python3 >/dev/null || { echo "run.sh: python3 is required" >&2; exit 2; }

echo "== building spindle (Release)"
dotnet build "$root/src/Spindle.Cli" -c Release --nologo -v quiet >/dev/null
spindle="$root/src/Spindle.Cli/bin/Release/net10.0/spindle.dll"

work=$(mktemp -d "${TMPDIR:-/tmp}/spindle-crash-XXXXXX")
trap 'rm -rf "$work"' EXIT
export SPINDLE_CACHE_DIR="$work/cache"

exec python3 - "$spindle" "$app" "$work" "$rounds" "$writers" "$kill_after" <<'PY'
import http.client, os, signal, socket, sqlite3, subprocess, sys, threading, time

spindle, app, work, rounds, writers, kill_after = sys.argv[1], sys.argv[2], sys.argv[3], *map(int, sys.argv[4:7])
state = os.path.join(work, "state")
database = os.path.join(state, "sqlite_key_value.db")
READY_SECONDS, ROUND_SECONDS = 60, 300

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

def start(port):
    log = open(os.path.join(work, "spindle.log"), "ab")
    server = subprocess.Popen(["dotnet", spindle, "up", "-f", app, "--state-dir", state, "--listen", f"127.0.0.1:{port}"],
                              stdout=log, stderr=log)
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"spindle up exited with {server.returncode} before listening; see {work}/spindle.log")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return server
        except OSError:
            time.sleep(0.05)
    server.kill()
    sys.exit(f"spindle up did not listen within {READY_SECONDS} s")

acked, sent = set(), set()
lock = threading.Lock()

def writer(port, round_no, index, round_acks, stop):
    n = 0
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    while not stop.is_set():
        key = f"r{round_no}-w{index}-{n}"
        n += 1
        with lock:
            sent.add(key)
        try:
            connection.request("PUT", "/" + key, body=key.encode())
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            return  # the server is gone: this write may or may not have landed, and was not acknowledged
        if 200 <= response.status < 300:
            with lock:
                acked.add(key)
                round_acks[0] += 1
        else:
            sys.stderr.write(f"unexpected status {response.status} for {key}\n")
            return

total_lost = 0
integrity = "ok"
for round_no in range(rounds):
    port = free_port()
    server = start(port)
    stop, round_acks = threading.Event(), [0]
    threads = [threading.Thread(target=writer, args=(port, round_no, i, round_acks, stop), daemon=True) for i in range(writers)]
    for t in threads:
        t.start()
    began = time.monotonic()
    deadline = began + ROUND_SECONDS
    while round_acks[0] < kill_after:
        if time.monotonic() > deadline or not any(t.is_alive() for t in threads):
            server.kill()
            sys.exit(f"round {round_no}: only {round_acks[0]} of {kill_after} writes acknowledged within {ROUND_SECONDS} s")
        time.sleep(0.002)
    server.send_signal(signal.SIGKILL)  # mid-load: no shutdown code runs
    rate = round_acks[0] / max(time.monotonic() - began, 1e-9)
    server.wait()
    stop.set()
    for t in threads:
        t.join(30)

    # What the next start finds: SQLite recovers the WAL on open, exactly as spindle's own open does.
    with sqlite3.connect(database) as db:
        stored = dict(db.execute("SELECT key, value FROM spin_key_value WHERE store = 'default'").fetchall())
        check = db.execute("PRAGMA integrity_check").fetchone()[0]
    with lock:
        lost = [k for k in acked if stored.get(k) != k.encode()]
        invented = [k for k in stored if k not in sent]
    total_lost += len(lost)
    if check != "ok" or invented:
        integrity = "FAILED"
    print(f"round {round_no + 1}/{rounds}: acknowledged so far {len(acked)} ({rate:.0f}/s this round), stored {len(stored)}, "
          f"lost {len(lost)}, never sent {len(invented)}, integrity_check {check}", flush=True)

print(f"acknowledged {len(acked)}, lost {total_lost}, integrity {integrity} "
      f"({rounds} rounds, {writers} writers, kill after {kill_after} acknowledged writes per round)")
sys.exit(0 if total_lost == 0 and integrity == "ok" else 1)
PY
