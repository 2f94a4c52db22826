#!/usr/bin/env bash
# Builds every C guest from source into its committed path, with the C SDK in sdk/c: core modules (Spin 1.x's
# ABI) and components (the Component Model; wrapped with jco, see scripts/component-tools/). Also turns the
# hand-written test components in tests/wasm/components/*.wat (component text format) into binaries with `jco parse`.
#
#   scripts/build-guests.sh           rebuild the .wasm files in place
#   scripts/build-guests.sh --check   build into a temporary folder and exit 1 if a committed .wasm
#                                     differs from the fresh build (or is missing)
#
# The build is deterministic: fixed flags and input order, relative source paths, no debug info (the
# DWARF that Debian's wasi-libc carries is stripped; the "name" section stays for readable traps), so two
# builds with the same compiler give identical bytes from any folder. A different clang or wasi-libc
# version generally gives different bytes; the committed files were built with the toolchain that
# `--check` prints when it fails. Components add the pinned npm tools of scripts/component-tools (jco's
# componentEmbed + componentNew and its preview1 reactor adapter), installed here with `npm ci` when missing
# or out of date; their output is deterministic too.
#
# Needs: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32, and Node.js 20+ with npm (wabt optional,
# for the import/export checks below).
set -euo pipefail
cd "$(dirname "$0")/.."

# output path : app sources (the SDK sources are added to each)
guests=(
  "examples/kv-counter/kv-counter.wasm:examples/kv-counter/main.c"
  "tests/wasm/kv-probe/probe.wasm:tests/wasm/kv-probe/probe.c"
  "bench/guests/get-loop/get-loop.wasm:bench/guests/get-loop/get-loop.c"
  "bench/guests/kv-loop/kv-loop.wasm:bench/guests/kv-loop/kv-loop.c"
)
sdk_sources=(sdk/c/spindle_http.c sdk/c/spindle_kv.c)

# output path | WIT folder | world | sources (the app's, then the component SDK's from $csdk). Built as core
# modules, then made components of that world.
csdk="sdk/c/spindle_http.c sdk/c/spindle_cabi.c sdk/c/spindle_kv2.c sdk/c/spindle_wasi_kv.c"
components=(
  "examples/kv-counter-component/kv-counter-component.wasm|wit|spindle:guests/http-kv|examples/kv-counter-component/main.c $csdk"
  "tests/wasm/kv2-probe/probe.wasm|wit|spindle:guests/probe|tests/wasm/kv2-probe/probe.c $csdk"
  "tests/wasm/kv-probe/probe-component.wasm|wit|spindle:guests/probe|tests/wasm/kv-probe/probe.c sdk/c/spindle_http.c sdk/c/spindle_kv.c"
  "tests/wasm/wasi-kv-probe/probe.wasm|wit|spindle:guests/probe|tests/wasm/wasi-kv-probe/probe.c $csdk"
  "tests/wasm/wasi-kv-upstream-probe/probe.wasm|tests/wasm/wasi-kv-upstream-probe/wit|spindle:upstream-probe/probe|tests/wasm/wasi-kv-upstream-probe/probe.c $csdk"
  "tests/wasm/values/values.wasm|wit|spindle:guests/values|tests/wasm/values/values.c"
  "tests/wasm/wasi-http-probe/probe.wasm|wit|spindle:guests/http-handler|tests/wasm/wasi-http-probe/probe.c sdk/c/spindle_wasi_http.c sdk/c/spindle_cabi.c sdk/c/spindle_kv2.c sdk/c/spindle_variables.c"
  "bench/guests/get-loop/get-loop-component.wasm|wit|spindle:guests/bench|bench/guests/get-loop/get-loop.c sdk/c/spindle_http.c sdk/c/spindle_cabi.c sdk/c/spindle_kv2.c"
)
cflags=(
  --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor
  -O2 -std=c11 -Wall -Wextra -Wpedantic -Werror
  -ffile-prefix-map="$PWD"=.
  -Wl,--strip-debug
  -Isdk/c
)
component_cflags=(-DSPINDLE_HTTP_COMPONENT)
packages="clang lld wasi-libc libclang-rt-14-dev-wasm32"
tools=scripts/component-tools

check=false
case "${1:-}" in
  "") ;;
  --check) check=true ;;
  *) echo "usage: scripts/build-guests.sh [--check]" >&2; exit 2 ;;
esac

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Fail early, and name the packages, when the compiler, linker, libc or runtime library is missing.
if ! command -v clang >/dev/null 2>&1; then
  echo "error: clang not found; install the WebAssembly C toolchain: apt-get install -y $packages" >&2
  exit 1
fi
printf '#include <stdlib.h>\nvoid *probe_alloc(size_t n) { return malloc(n); }\n' >"$tmp/toolchain.c"
if ! clang "${cflags[@]}" -o "$tmp/toolchain.wasm" "$tmp/toolchain.c" 2>"$tmp/toolchain.log"; then
  echo "error: clang cannot build a wasm32-wasi module (missing wasi-libc, lld or the wasm32 runtime library?)" >&2
  echo "       install: apt-get install -y $packages" >&2
  sed 's/^/       /' "$tmp/toolchain.log" >&2
  exit 1
fi

# Installs the pinned npm tools into $tools/node_modules with `npm ci` unless the installed tree matches
# package-lock.json (a stamp holds the lock file's hash), so repeated runs skip npm.
component_tools() {
  local want have=""
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "error: node and npm are needed to build the component guests (jco, pinned in $tools/package.json)" >&2
    echo "       install Node.js 20 or later with npm: apt-get install -y nodejs (and npm, where the distribution" >&2
    echo "       packages it separately, as Debian does)" >&2
    exit 1
  fi
  want=$(sha256sum "$tools/package-lock.json" | cut -d' ' -f1)
  [ -f "$tools/node_modules/.spindle-lock-sha256" ] && have=$(cat "$tools/node_modules/.spindle-lock-sha256")
  if [ "$want" != "$have" ]; then
    echo "installing the component tools ($tools: npm ci)"
    if ! (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error >"$tmp/npm.log" 2>&1); then
      echo "error: npm ci in $tools failed (the npm registry must be reachable):" >&2
      sed 's/^/       /' "$tmp/npm.log" >&2
      exit 1
    fi
    echo "$want" >"$tools/node_modules/.spindle-lock-sha256"
  fi
}
if [ ${#components[@]} -ne 0 ]; then
  component_tools
fi

# Checks that a module imports only key-value.* and wasi_snapshot_preview1.* functions and exports what
# the host needs. Skipped when wabt is not installed.
verify() {
  local wasm=$1 imports exports bad name
  command -v wasm-objdump >/dev/null 2>&1 || return 0
  # `wasm-objdump -x` prints each section as a "Name[count]:" line followed by " - " entries.
  imports=$(wasm-objdump -x "$wasm" | awk '/^[A-Z][A-Za-z]*\[[0-9]+\]:/ { s = $0 } /^ - / && s ~ /^Import/')
  exports=$(wasm-objdump -x "$wasm" | awk '/^[A-Z][A-Za-z]*\[[0-9]+\]:/ { s = $0 } /^ - / && s ~ /^Export/')
  bad=$(grep -vE '^ - func\[[0-9]+\] .* <- (key-value|wasi_snapshot_preview1)\.[^ ]+$' <<<"$imports" || true)
  if [ -n "$bad" ]; then
    echo "error: $wasm imports something other than key-value.* and wasi_snapshot_preview1.* functions:" >&2
    echo "$bad" >&2
    return 1
  fi
  for name in memory canonical_abi_realloc canonical_abi_free handle-http-request _initialize; do
    if ! grep -qE -- "-> \"$name\"\$" <<<"$exports"; then
      echo "error: $wasm does not export $name" >&2
      return 1
    fi
  done
}

# Checks that a component's core module imports only component interfaces Spindle serves (or spindle:test ones),
# wasi_snapshot_preview1 (wrapped by the adapter), and exports what the HTTP trigger or the test world needs: Spin
# 1.x's inbound-http, or for the http-handler world wasi:http/incoming-handler (whose core module imports
# wasi:http/types and wasi:io itself).
# Skipped when wabt is not installed.
verify_core_of_component() {
  local wasm=$1 world=$2 imports exports bad name needed
  command -v wasm-objdump >/dev/null 2>&1 || return 0
  imports=$(wasm-objdump -x "$wasm" | awk '/^[A-Z][A-Za-z]*\[[0-9]+\]:/ { s = $0 } /^ - / && s ~ /^Import/')
  exports=$(wasm-objdump -x "$wasm" | awk '/^[A-Z][A-Za-z]*\[[0-9]+\]:/ { s = $0 } /^ - / && s ~ /^Export/')
  bad=$(grep -vE '^ - func\[[0-9]+\] .* <- (wasi_snapshot_preview1|fermyon:spin/key-value|fermyon:spin/key-value@2\.0\.0|fermyon:spin/variables@2\.0\.0|wasi:keyvalue/(store|atomics|batch)@0\.2\.0-draft2|wasi:http/types@0\.2\.0|wasi:io/(streams|poll|error)@0\.2\.0|spindle:test/[a-z-]+)\.[^ ]+$' <<<"$imports" || true)
  if [ -n "$bad" ]; then
    echo "error: $wasm imports something other than wasi_snapshot_preview1, the key-value interfaces and Spin's variables:" >&2
    echo "$bad" >&2
    return 1
  fi
  case $world in
    values) needed="memory cabi_realloc _initialize" ;;
    http-handler) needed="memory cabi_realloc _initialize wasi:http/incoming-handler@0.2.0#handle" ;;
    *) needed="memory cabi_realloc _initialize fermyon:spin/inbound-http#handle-request cabi_post_fermyon:spin/inbound-http#handle-request" ;;
  esac
  for name in $needed; do
    if ! grep -qE -- "-> \"$name\"\$" <<<"$exports"; then
      echo "error: $wasm does not export $name" >&2
      return 1
    fi
  done
}

# Records a fresh build: stale in --check mode, else copied over the committed file.
settle() {
  local fresh=$1 out=$2
  if $check; then
    if ! cmp -s "$fresh" "$out"; then
      stale+=("$out")
    fi
  elif ! cmp -s "$fresh" "$out"; then
    cp "$fresh" "$out"
    chmod 644 "$out"
    echo "built $out ($(wc -c <"$out") bytes)"
  else
    echo "up to date: $out"
  fi
}

stale=()
for guest in "${guests[@]}"; do
  out=${guest%%:*}
  read -r -a sources <<<"${guest#*:}"
  fresh="$tmp/${out//\//_}"
  clang "${cflags[@]}" -o "$fresh" "${sources[@]}" "${sdk_sources[@]}"
  verify "$fresh"
  settle "$fresh" "$out"
done

for guest in "${components[@]}"; do
  IFS="|" read -r out witdir world rest <<<"$guest"
  read -r -a sources <<<"$rest"
  core="$tmp/${out//\//_}.core"
  fresh="$tmp/${out//\//_}"
  clang "${cflags[@]}" "${component_cflags[@]}" -o "$core" "${sources[@]}"
  verify_core_of_component "$core" "${world#*/}"
  node "$tools/componentize.mjs" "$core" "$witdir" "$world" "$fresh"
  settle "$fresh" "$out"
done

# Test components written in the component text format: tests/wasm/components/<name>.wat -> <name>.wasm.
for wat in tests/wasm/components/*.wat; do
  out=${wat%.wat}.wasm
  fresh="$tmp/${out//\//_}"
  "$tools/node_modules/.bin/jco" parse "$wat" -o "$fresh"
  settle "$fresh" "$out"
done

if [ ${#stale[@]} -ne 0 ]; then
  for out in "${stale[@]}"; do
    if [ -e "$out" ]; then
      echo "error: $out is stale: it differs from a fresh build of its sources" >&2
    else
      echo "error: $out is missing" >&2
    fi
  done
  echo "       fix: run scripts/build-guests.sh and commit the .wasm files" >&2
  echo "       (this check built with: $(clang --version | head -n 1))" >&2
  exit 1
fi
if $check; then
  echo "all guest modules and components match their sources"
fi
