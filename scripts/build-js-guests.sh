#!/usr/bin/env bash
# Builds the JavaScript test guests (tests/guests/*) into a cache folder and prints each component's path.
#
#   scripts/build-js-guests.sh [NAME...]     build (or find) each guest and print its path, one per line
#   scripts/build-js-guests.sh --exports     the same for every guest, as `export SPINDLE_GUEST_<NAME>=<path>` lines
#   scripts/build-js-guests.sh --list        print the guest names
#   scripts/build-js-guests.sh --tools       install the pinned tools (tests/guests/tools) and print their folder
#
# Guests: js-kv (componentize-js 0.23.0, world spindle:guests/js-kv), j2w-hello and http-probe (j2w from
# @spinframework/build-tools 1.0.7, the way a Spin JavaScript SDK v3 app is built), js-todo (examples/js-todo:
# esbuild then j2w over sdk/js, by its own `npm run build`) and js-sdk (tests/guests/js-sdk, built the same way with
# js-todo's npm packages). The components are ~12 MB each and take 6-60 s to build, so they are never committed: each
# is built once into
#
#   ${SPINDLE_GUEST_CACHE:-$HOME/.cache/spindle/guests}/<name>-<hash>.wasm
#
# where <hash> is the SHA-256 of everything the build reads (the guest's sources, wit/ for js-kv, sdk/js and the
# wit/deps files it links for js-todo and js-sdk, the npm lock file, this script). A second run with unchanged inputs
# finds the file and builds nothing. npm packages are installed with `npm ci` into the same cache, once per lock file
# hash. Progress goes to stderr; stdout carries only the paths.
#
# Tests find a guest through SPINDLE_GUEST_<NAME> (NAME upper-cased, '-' as '_'; .ci/run sets these), or call this
# script themselves (tests/Spindle.Testing/JsGuests.cs does). Needs node and npm (node 20+).
set -euo pipefail
cd "$(dirname "$0")/.."

guests=(js-kv j2w-hello http-probe js-todo js-sdk js-counter)
cache=${SPINDLE_GUEST_CACHE:-${HOME:-/tmp}/.cache/spindle/guests}

usage() {
  echo "usage: scripts/build-js-guests.sh [--exports | --list | --tools | NAME...]   (guests: ${guests[*]})" >&2
  exit 2
}

mode=paths
selected=()
for arg in "$@"; do
  case "$arg" in
    --exports) mode=exports ;;
    --list) printf '%s\n' "${guests[@]}"; exit 0 ;;
    --tools) mode=tools ;;
    -h | --help) usage ;;
    -*) echo "error: unknown option $arg" >&2; usage ;;
    *)
      if [[ " ${guests[*]} " != *" $arg "* ]]; then
        echo "error: no JavaScript guest named '$arg' (guests: ${guests[*]})" >&2
        exit 2
      fi
      selected+=("$arg")
      ;;
  esac
done
if ((${#selected[@]} == 0)); then
  selected=("${guests[@]}")
fi

for tool in node npm sha256sum; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    case "$tool" in
      sha256sum) echo "error: sha256sum not found (coreutils)" >&2 ;;
      *) echo "error: $tool not found on PATH; the JavaScript test guests (tests/guests) are built with Node.js 20 or later and npm: install them, then run scripts/build-js-guests.sh again" >&2 ;;
    esac
    exit 1
  fi
done
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)'; then
  echo "error: node $(node --version) is too old; the JavaScript test guests need Node.js 20+" >&2
  exit 1
fi

mkdir -p "$cache"

# SHA-256 over the given files' paths and contents, in the order given.
hash_files() {
  local file
  for file in "$@"; do
    printf '%s\0' "$file"
    sha256sum <"$file"
  done | sha256sum | cut -c1-16
}

# Installs the npm project in folder $1 (package.json + package-lock.json) with `npm ci` into the cache, once per
# lock hash, and prints the folder that holds its node_modules. A lock file alone decides what is installed.
# Further arguments are local packages the project depends on by path (`file:`): npm ci runs in a copy that keeps
# the repository's layout, with only their package.json, and their links are then removed from node_modules, so the
# install does not depend on their sources (the build links the repository's copy; see build_js_todo).
npm_install() {
  local project=$1 hash root sub="" tmp local_pkg name
  shift
  local files=("$project/package.json" "$project/package-lock.json")
  for local_pkg in "$@"; do
    files+=("$local_pkg/package.json")
  done
  if (($# > 0)); then
    sub=/$project
  fi
  hash=$(hash_files "${files[@]}")
  root="$cache/npm-$(basename "$project")-$hash"
  if [ -f "$root$sub/.installed" ]; then
    echo "$root$sub"
    return
  fi
  echo "== npm ci for $project (into $root$sub)" >&2
  tmp=$(mktemp -d "$cache/.npm-XXXXXX")
  mkdir -p "$tmp$sub"
  cp "$project/package.json" "$project/package-lock.json" "$tmp$sub/"
  for local_pkg in "$@"; do
    mkdir -p "$tmp/$local_pkg"
    cp "$local_pkg/package.json" "$tmp/$local_pkg/"
  done
  if ! (cd "$tmp$sub" && npm ci --no-audit --no-fund --loglevel=error >&2); then
    rm -rf "$tmp"
    echo "error: npm ci failed for $project; check that the npm registry is reachable, then run scripts/build-js-guests.sh again" >&2
    exit 1
  fi
  for local_pkg in "$@"; do
    name=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).name' "$local_pkg/package.json")
    rm -f "$tmp$sub/node_modules/$name"
  done
  touch "$tmp$sub/.installed"
  # Another run may have finished the same install meanwhile; either copy is good.
  if ! mv -T "$tmp" "$root" 2>/dev/null; then
    rm -rf "$tmp"
  fi
  echo "$root$sub"
}

script_inputs=(scripts/build-js-guests.sh)

# js-kv: componentize-js with the tools in tests/guests/tools, world spindle:guests/js-kv. `-d http -d fetch-event`
# keeps wasi:http out of its imports (without them it imports wasi:http/types and outgoing-handler @0.2.10).
build_js_kv() {
  local out=$1 tools
  tools=$(npm_install tests/guests/tools)
  "$tools/node_modules/.bin/componentize-js" tests/guests/js-kv/app.js --wit wit -n js-kv -d http -d fetch-event -o "$out" >&2
}
inputs_js_kv() {
  find tests/guests/js-kv -type f -name '*.js' | LC_ALL=C sort
  find wit -type f -name '*.wit' | LC_ALL=C sort
  echo tests/guests/tools/package.json tests/guests/tools/package-lock.json | tr ' ' '\n'
}

# Builds src/index.js of folder $1 with j2w into $2, in a copy that has j2w-hello's package.json and links its cached
# node_modules (j2w reads the package.json in its working folder and writes scratch files next to the source).
build_j2w_source() {
  local src=$1 out=$2 deps work
  deps=$(npm_install tests/guests/j2w-hello)
  work=$(mktemp -d)
  cp -r tests/guests/j2w-hello/package.json "$work/"
  cp -r "$src" "$work/src"
  ln -s "$deps/node_modules" "$work/node_modules"
  if ! (cd "$work" && ./node_modules/.bin/j2w -i src/index.js -o app.wasm >&2); then
    rm -rf "$work"
    return 1
  fi
  mv "$work/app.wasm" "$out"
  rm -rf "$work"
}
# j2w-hello: the hello-world fetch-event app.
build_j2w_hello() { build_j2w_source tests/guests/j2w-hello/src "$1"; }
inputs_j2w_hello() {
  find tests/guests/j2w-hello -type f \( -name '*.js' -o -name 'package*.json' \) -not -path '*/node_modules/*' | LC_ALL=C sort
}

# http-probe: the wasi:http test app, built like j2w-hello with j2w-hello's pinned npm dependencies.
build_http_probe() { build_j2w_source tests/guests/http-probe/src "$1"; }
inputs_http_probe() {
  find tests/guests/http-probe -type f -name '*.js' | LC_ALL=C sort
  echo tests/guests/j2w-hello/package.json tests/guests/j2w-hello/package-lock.json | tr ' ' '\n'
}

# j2w apps (js-todo, js-sdk): built by their own `npm run build` (esbuild with the build tools' esbuild plugin, then
# j2w), as a Spin JS app is built, with the npm packages of examples/js-todo's lock file. Each runs in a copy: app/
# holds the app's package.json, src/ and examples/js-todo/build.mjs, with node_modules linked to the cached install;
# the parent's node_modules/@spindle/kv links this repository's sdk/js (node, esbuild and j2w's dependency walk all
# look in parent folders), so a change in sdk/js rebuilds the apps without another npm ci.
build_j2w_app() {
  local dir=$1 out=$2 name deps work
  name=$(basename "$dir")
  deps=$(npm_install examples/js-todo sdk/js)
  work=$(mktemp -d)
  mkdir -p "$work/app" "$work/node_modules/@spindle"
  cp -r "$dir/package.json" "$dir/src" examples/js-todo/build.mjs "$work/app/"
  ln -s "$deps/node_modules" "$work/app/node_modules"
  ln -s "$PWD/sdk/js" "$work/node_modules/@spindle/kv"
  if ! (cd "$work/app" && npm run --silent build >&2) || [ ! -f "$work/app/dist/$name.wasm" ]; then
    rm -rf "$work"
    return 1
  fi
  mv "$work/app/dist/$name.wasm" "$out"
  rm -rf "$work"
}
inputs_j2w_app() {
  find "$1" -type f \( -name '*.js' -o -name '*.mjs' -o -name 'package*.json' \) -not -path '*/node_modules/*' \
    -not -path "$1/build/*" -not -path "$1/dist/*" | LC_ALL=C sort
  echo examples/js-todo/build.mjs examples/js-todo/package.json examples/js-todo/package-lock.json | tr ' ' '\n'
  find -L sdk/js -type f \( -name '*.js' -o -name '*.wit' -o -name 'package.json' \) -not -path '*/node_modules/*' | LC_ALL=C sort
}

# js-todo: the example app (examples/js-todo/README.md).
build_js_todo() { build_j2w_app examples/js-todo "$1"; }
inputs_js_todo() { inputs_j2w_app examples/js-todo | LC_ALL=C sort -u; }

# js-sdk: the test guest that runs @spindle/kv calls given in a request (tests/guests/js-sdk).
build_js_sdk() { build_j2w_app tests/guests/js-sdk "$1"; }
inputs_js_sdk() { inputs_j2w_app tests/guests/js-sdk | LC_ALL=C sort -u; }

# js-counter: the kv-counter example's work in JavaScript, for bench/http/run.sh --js (bench/guests/js-counter).
build_js_counter() { build_j2w_app bench/guests/js-counter "$1"; }
inputs_js_counter() { inputs_j2w_app bench/guests/js-counter | LC_ALL=C sort -u; }

# Prints the cached component of guest $1, building it first when no file matches its inputs' hash.
build() {
  local name=$1 fn hash out tmp start
  fn=${name//-/_}
  mapfile -t inputs < <("inputs_$fn")
  hash=$(hash_files "${inputs[@]}" "${script_inputs[@]}")
  out="$cache/$name-$hash.wasm"
  if [ -f "$out" ]; then
    echo "up to date: $name ($out)" >&2
    echo "$out"
    return
  fi
  echo "== building $name" >&2
  start=$(date +%s%N)
  tmp=$(mktemp "$cache/.$name-XXXXXX.wasm")
  if ! "build_$fn" "$tmp"; then
    rm -f "$tmp"
    echo "error: building the JavaScript guest $name failed (output above); fix it and run scripts/build-js-guests.sh $name" >&2
    exit 1
  fi
  chmod 644 "$tmp"
  mv -f "$tmp" "$out"
  echo "built $name: $(wc -c <"$out") bytes in $((($(date +%s%N) - start) / 1000000)) ms ($out)" >&2
  prune "$name"
  echo "$out"
}

# Keeps the newest four builds of guest $1 (other worktrees may still use older sources) and deletes the rest.
prune() {
  local old
  ls -1t "$cache/$1-"*.wasm 2>/dev/null | tail -n +5 | while read -r old; do
    rm -f "$old"
  done
}

if [ "$mode" = tools ]; then
  npm_install tests/guests/tools
  exit 0
fi

for name in "${selected[@]}"; do
  path=$(build "$name")
  if [ "$mode" = exports ]; then
    var=${name^^}
    echo "export SPINDLE_GUEST_${var//-/_}=$path"
  else
    echo "$path"
  fi
done
