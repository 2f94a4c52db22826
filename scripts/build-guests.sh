#!/usr/bin/env bash
# Builds every C guest module from source into its committed path, with the C SDK in sdk/c.
#
#   scripts/build-guests.sh           rebuild the .wasm files in place
#   scripts/build-guests.sh --check   build into a temporary folder and exit 1 if a committed .wasm
#                                     differs from the fresh build (or is missing)
#
# The build is deterministic: fixed flags and input order, relative source paths, no debug info (the
# DWARF that Debian's wasi-libc carries is stripped; the "name" section stays for readable traps), so two
# builds with the same compiler give identical bytes from any folder. A different clang or wasi-libc
# version generally gives different bytes; the committed files were built with the toolchain that
# `--check` prints when it fails.
#
# Needs: apt-get install -y clang lld wasi-libc libclang-rt-14-dev-wasm32  (wabt optional, for the
# import/export check below).
set -euo pipefail
cd "$(dirname "$0")/.."

# output path : app sources (the SDK sources are added to each)
guests=(
  "examples/kv-counter/kv-counter.wasm:examples/kv-counter/main.c"
  "tests/wasm/kv-probe/probe.wasm:tests/wasm/kv-probe/probe.c"
)
sdk_sources=(sdk/c/spindle_http.c sdk/c/spindle_kv.c)
cflags=(
  --target=wasm32-wasi --sysroot=/usr -mexec-model=reactor
  -O2 -std=c11 -Wall -Wextra -Wpedantic -Werror
  -ffile-prefix-map="$PWD"=.
  -Wl,--strip-debug
  -Isdk/c
)
packages="clang lld wasi-libc libclang-rt-14-dev-wasm32"

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

stale=()
for guest in "${guests[@]}"; do
  out=${guest%%:*}
  read -r -a sources <<<"${guest#*:}"
  fresh="$tmp/$(basename "$out")"
  clang "${cflags[@]}" -o "$fresh" "${sources[@]}" "${sdk_sources[@]}"
  verify "$fresh"
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
  echo "all guest modules match their sources"
fi
