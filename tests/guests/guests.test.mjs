// Runs the committed component guests under jco's transpiler (node), with the in-memory hosts in hosts/: every
// route or function a README states, checked against its expected answer. This tests the guests and the C SDK's
// hand-written Canonical ABI without Spindle. Run from the repository root after scripts/build-guests.sh (which
// installs the pinned tools):  node --test tests/guests/
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

import * as kv2 from "./hosts/kv2.mjs";
import * as wasiKv from "./hosts/wasi-kv.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, "../..");
const tools = join(repo, "scripts/component-tools/node_modules");
const jcoApi = join(tools, "@bytecodealliance/jco/dist/api.js");
if (!existsSync(jcoApi)) {
  throw new Error(`jco is not installed in ${tools}: run scripts/build-guests.sh (it runs npm ci there)`);
}
const { transpile } = await import(pathToFileURL(jcoApi).href);

const hostUrl = (name) => pathToFileURL(join(here, "hosts", name)).href;
const hostMap = {
  "fermyon:spin/key-value@2.0.0": hostUrl("kv2.mjs"),
  "wasi:keyvalue/store@0.2.0-draft2": hostUrl("wasi-kv.mjs"),
  "wasi:keyvalue/atomics@0.2.0-draft2": hostUrl("wasi-kv.mjs"),
  "wasi:keyvalue/batch@0.2.0-draft2": hostUrl("wasi-kv.mjs"),
  "spindle:test/unserved": hostUrl("unserved.mjs"),
};

// Transpiles a component into the tools' node_modules (so the generated code finds the preview2 WASI shim) and
// returns a function that loads a fresh instance, as Spindle makes one per request.
let loads = 0;
async function component(path, name, map = hostMap) {
  const { files } = await transpile(readFileSync(join(repo, path)), { name, map });
  const out = join(tools, ".cache/spindle-guests", name);
  for (const [file, bytes] of Object.entries(files)) {
    mkdirSync(dirname(join(out, file)), { recursive: true });
    writeFileSync(join(out, file), bytes);
  }
  const url = pathToFileURL(join(out, `${name}.js`)).href;
  return () => import(`${url}?instance=${++loads}`);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// One request on a fresh instance: { status, body, headers }; a trap throws.
async function request(load, uri, { method = "get", body } = {}) {
  const app = await load();
  const path = uri.split("?")[0];
  const res = app.inboundHttp.handleRequest({
    method,
    uri,
    headers: [["spin-path-info", path]],
    params: [],
    body: body === undefined ? undefined : encoder.encode(body),
  });
  return { status: res.status, body: res.body === undefined ? undefined : decoder.decode(res.body), headers: res.headers };
}

const body = async (load, uri, options) => (await request(load, uri, options)).body;
const traps = (load, uri) => assert.rejects(request(load, uri), `${uri} must trap`);

test("kv2-probe: every fermyon:spin/key-value@2.0.0 function and error case", async () => {
  // Issue #8
  const probe = await component("tests/wasm/kv2-probe/probe.wasm", "kv2-probe");
  kv2.reset();
  assert.match(await body(probe, "/open"), /^ok:[1-9][0-9]*$/);
  assert.equal(await body(probe, "/open?label=nope"), "err:2");
  assert.equal(await body(probe, "/get?key=a"), "ok:none");
  assert.equal(await body(probe, "/set?key=a", { method: "put", body: "hello" }), "ok");
  assert.equal(await body(probe, "/get?key=a"), "ok:some:hello");
  assert.equal(await body(probe, "/get?key=a&label=other"), "ok:none");
  assert.equal(await body(probe, "/exists?key=a"), "ok:true");
  assert.equal(await body(probe, "/exists?key=b"), "ok:false");
  assert.equal(await body(probe, "/set?key=b", { method: "put", body: "" }), "ok");
  assert.equal(await body(probe, "/get?key=b"), "ok:some:");
  assert.equal(await body(probe, "/set?key=%C3%A9t%C3%A9", { method: "put", body: "x" }), "ok");
  assert.equal(await body(probe, "/keys"), "ok:a\nb\nété");
  assert.equal(await body(probe, "/keys?label=other"), "ok:");
  assert.equal(await body(probe, "/delete?key=a"), "ok");
  assert.equal(await body(probe, "/delete?key=a"), "ok");
  assert.equal(await body(probe, "/get?key=a"), "ok:none");
  assert.equal(await body(probe, "/get?key=%FF"), "err:255");
  assert.equal((await request(probe, "/get")).status, 400);

  const live = kv2.state.live;
  assert.equal(await body(probe, "/open-many?count=5"), "ok");
  assert.equal(kv2.state.live, live + 5, "open-many leaves its stores open");
  assert.equal(await body(probe, "/open-drop-many?count=5"), "ok");
  assert.equal(kv2.state.live, live + 5, "open-drop-many drops every store it opens");
  assert.equal(await body(probe, "/open-many?count=2&label=nope"), "err:2 after 0");

  assert.equal(await body(probe, "/set-big?key=big&size=1048576"), "ok");
  assert.equal(kv2.state.stores.get("default").get("big").length, 1048576);
  assert.equal(await body(probe, "/get-big?key=big"), "ok:1048576:pattern");
  assert.equal(await body(probe, "/get-big?key=b"), "ok:0:pattern");

  const echo = await request(probe, "/echo?x=1", { method: "post", body: "abc" });
  assert.equal(echo.body, "POST\n/echo?x=1\nspin-path-info: /echo\nbody: 3 bytes\n");
  assert.deepEqual(echo.headers, [["content-type", "text/plain; charset=utf-8"]]);
  assert.deepEqual(await request(probe, "/nowhere"), {
    status: 404,
    body: "not-found:/nowhere",
    headers: [["content-type", "text/plain; charset=utf-8"]],
  });

  // Faults jco's host traps on, as the spec says. (It does not trap on /oob-len or /badutf8: it neither checks a
  // list's end against the memory size nor rejects invalid UTF-8, so those two are left to Spindle's tests.)
  for (const uri of ["/dropped", "/dropped-twice", "/forged?handle=77", "/oob", "/oob-ret", "/unknown-import", "/trap"]) {
    await traps(probe, uri);
  }
  assert.equal(await body(probe, "/get?key=b"), "ok:some:", "a fresh instance serves after the traps");
});

test("wasi-kv-probe: store, atomics and batch", async () => {
  // Issue #8
  const probe = await component("tests/wasm/wasi-kv-probe/probe.wasm", "wasi-kv-probe");
  wasiKv.reset(["default", "other"], 3);
  assert.match(await body(probe, "/open"), /^ok:[1-9][0-9]*$/);
  assert.equal(await body(probe, "/open?label=nope"), "err:1");
  assert.equal(await body(probe, "/get?key=a"), "ok:none");
  assert.equal(await body(probe, "/set?key=a", { method: "put", body: "hello" }), "ok");
  assert.equal(await body(probe, "/get?key=a"), "ok:some:hello");
  assert.equal(await body(probe, "/exists?key=a"), "ok:true");
  assert.equal(await body(probe, "/exists?key=zz"), "ok:false");
  assert.equal(await body(probe, "/delete?key=a"), "ok");
  assert.equal(await body(probe, "/exists?key=a"), "ok:false");

  // list-keys: one page at a time, then every page
  assert.equal(await body(probe, "/list-all"), "ok:pages=1 keys=0 distinct=0");
  assert.equal(await body(probe, "/fill?prefix=k&count=10"), "ok");
  assert.equal(await body(probe, "/list-keys"), "ok\nkey:k0\nkey:k1\nkey:k2\ncursor:k2");
  assert.equal(await body(probe, "/list-keys?cursor=k2"), "ok\nkey:k3\nkey:k4\nkey:k5\ncursor:k5");
  assert.equal(await body(probe, "/list-keys?cursor=k8"), "ok\nkey:k9\nend");
  const all = await body(probe, "/list-all");
  assert.equal(all, ["ok:pages=4 keys=10 distinct=10", ...Array.from({ length: 10 }, (_, i) => `k${i}`).sort()].join("\n"));
  assert.equal(await body(probe, "/get?key=k7"), "ok:some:7");

  // increment
  assert.equal(await body(probe, "/increment?key=n"), "ok:1");
  assert.equal(await body(probe, "/increment?key=n&delta=-5"), "ok:-4");
  assert.equal(await body(probe, "/increment?key=n&delta=9223372036854775807"), "ok:9223372036854775803");
  assert.equal(await body(probe, "/increment?key=n&delta=10"), "err:2:increment: overflow");
  assert.equal(await body(probe, "/increment?key=m&delta=-9223372036854775808"), "ok:-9223372036854775808");
  assert.equal(await body(probe, "/set?key=t", { method: "put", body: "ten" }), "ok");
  assert.equal(await body(probe, "/increment?key=t"), "err:2:increment: the value is not a decimal integer");
  assert.equal((await request(probe, "/increment?key=n&delta=9223372036854775808")).status, 400);

  // compare-and-swap
  assert.equal(await body(probe, "/cas-current?key=c"), "ok:none");
  assert.equal(await body(probe, "/cas-swap?key=c", { method: "put", body: "first" }), "ok");
  assert.equal(await body(probe, "/cas-current?key=c"), "ok:some:first");
  assert.equal(await body(probe, "/cas-conflict?key=c", { method: "put", body: "lost" }), "err:cas-failed");
  assert.equal(await body(probe, "/get?key=c"), "ok:some:conflict");
  assert.equal(await body(probe, "/cas-inc?key=ci"), "ok:1 tries=1");
  assert.equal(await body(probe, "/cas-inc?key=ci"), "ok:2 tries=1");
  assert.equal(await body(probe, "/cas-inc?key=t"), "err:not a decimal number");
  assert.equal(wasiKv.state.casLive, 0, "every cas handle was consumed or dropped");

  // batch
  assert.equal(await body(probe, "/set-many?pairs=m1=1,m2=,m3"), "ok");
  assert.equal(await body(probe, "/get-many?keys=m1,nope,m2,m3"), "ok\nkey:m1=some:1\nkey:nope=none\nkey:m2=some:\nkey:m3=some:");
  assert.equal(await body(probe, "/delete-many?keys=m1,m2,nope"), "ok");
  assert.equal(await body(probe, "/get-many?keys=m1,m2,m3"), "ok\nkey:m1=none\nkey:m2=none\nkey:m3=some:");
  assert.equal(await body(probe, "/get-many?keys=%FF"), "err:255");

  const live = wasiKv.state.live;
  assert.equal(await body(probe, "/open-many?count=4"), "ok");
  assert.equal(await body(probe, "/open-drop-many?count=4"), "ok");
  assert.equal(wasiKv.state.live, live + 4);
  assert.equal(await body(probe, "/set-big?key=big&size=1048576"), "ok");
  assert.equal(await body(probe, "/get-big?key=big"), "ok:1048576:pattern");

  // (jco does not trap on /badutf8 or /cas-consumed; Spindle's tests cover those.)
  for (const uri of ["/dropped", "/forged?handle=99", "/oob", "/oob-list", "/bad-tag", "/unknown-import", "/trap"]) {
    await traps(probe, uri);
  }
  assert.equal(await body(probe, "/get?key=k1"), "ok:some:1");
});

test("wasi-kv-upstream-probe: get-many in the upstream shape of draft2", async () => {
  // Issue #8
  const probe = await component("tests/wasm/wasi-kv-upstream-probe/probe.wasm", "wasi-kv-upstream-probe", {
    ...hostMap,
    "wasi:keyvalue/batch@0.2.0-draft2": hostUrl("wasi-kv-upstream.mjs"),
  });
  wasiKv.reset();
  assert.equal(await body(probe, "/set-many?pairs=a=1,b=,c=three"), "ok");
  assert.equal(await body(probe, "/get-many?keys=a,nope,b,c"), "ok\nkey:a=some:1\nnone\nkey:b=some:\nkey:c=some:three");
  assert.equal(await body(probe, "/get-many?keys=a&label=nope"), "err:1");
  assert.equal(wasiKv.state.live, 0);
});

test("values: every value type through the Canonical ABI", async () => {
  // Issue #8
  const { values: v } = await (await component("tests/wasm/values/values.wasm", "values"))();
  const result = (f) => {
    try {
      return { ok: f() };
    } catch (e) {
      return { err: e.payload };
    }
  };
  const flagsSet = (f) => Object.keys(f).filter((k) => f[k]);
  assert.equal(v.nothing(), undefined);
  assert.deepEqual([v.negateBool(true), v.negateBool(false)], [false, true]);
  assert.deepEqual([v.incS8(127), v.incS8(-1), v.incU8(255), v.incS16(32767), v.incU16(65535)], [-128, 0, 0, -32768, 0]);
  assert.deepEqual([v.incS32(2147483647), v.incU32(4294967295), v.incU32(1)], [-2147483648, 0, 2]);
  assert.deepEqual([v.incS64(9223372036854775807n), v.incS64(-1n), v.incU64(2n ** 64n - 1n)], [-(2n ** 63n), 0n, 0n]);
  assert.deepEqual([v.negateF32(1.5), v.negateF32(-Infinity), v.negateF64(1e300)], [-1.5, Infinity, -1e300]);
  assert.ok(Object.is(v.negateF32(0), -0) && Object.is(v.negateF64(-0), 0));
  assert.ok(Number.isNaN(v.negateF32(NaN)) && Number.isNaN(v.negateF64(NaN)));
  assert.deepEqual([v.nextChar("a"), v.nextChar("\uD7FF"), v.nextChar("\u{10FFFF}")], ["b", "\uE000", "\0"]);
  assert.deepEqual([v.reverseString("héllo😀x"), v.reverseString("")], ["x😀olléh", ""]);
  assert.deepEqual(v.reverseBytes(new Uint8Array([1, 2, 3])), new Uint8Array([3, 2, 1]));
  assert.deepEqual(v.reverseBytes(new Uint8Array([])), new Uint8Array([]));
  assert.deepEqual(v.reverseStrings(["a", "", "ccc"]), ["ccc", "", "a"]);
  assert.deepEqual(v.reverseInner([new Uint32Array([1, 2, 3]), new Uint32Array([]), new Uint32Array([4294967295, 0])]), [
    new Uint32Array([3, 2, 1]),
    new Uint32Array([]),
    new Uint32Array([0, 4294967295]),
  ]);
  assert.deepEqual(v.swapPoint({ x: -7, y: 2147483647 }), { x: 2147483647, y: -7 });
  const m = { a: 255, b: 7, c: 4294967295, d: 5n, e: 1.5, f: -2.25, g: true, h: "z", name: "añb" };
  const bumped = { a: 0, b: 8, c: 0, d: 6n, e: 2.5, f: -1.25, g: false, h: "{", name: "bña" };
  assert.deepEqual(v.bumpMixed(m), bumped);
  assert.deepEqual(v.bumpMixedList([m, { ...m, a: 1, name: "" }]), [{ ...bumped, a: 2, name: "" }, bumped]);
  assert.deepEqual(v.reverseTuple([9, "str", 3.25]), [3.25, "str", 9]);
  const shapes = [
    [{ tag: "nothing" }, { tag: "nothing" }],
    [{ tag: "circle", val: 2.5 }, { tag: "circle", val: -2.5 }],
    [{ tag: "rect", val: { x: -1, y: 9 } }, { tag: "rect", val: { x: 9, y: -1 } }],
    [{ tag: "label", val: "abc" }, { tag: "label", val: "cba" }],
    [{ tag: "big", val: 2n ** 64n - 1n }, { tag: "big", val: 0n }],
    [{ tag: "ratio", val: 1e-300 }, { tag: "ratio", val: -1e-300 }],
    [{ tag: "code", val: 127 }, { tag: "code", val: -128 }],
  ];
  for (const [input, expected] of shapes) assert.deepEqual(v.bumpShape(input), expected);
  assert.deepEqual(v.negateReal({ tag: "single", val: Math.fround(0.1) }), { tag: "single", val: -Math.fround(0.1) });
  assert.deepEqual(v.negateReal({ tag: "double", val: 0.1 }), { tag: "double", val: -0.1 });
  assert.deepEqual([v.nextColor("red"), v.nextColor("green"), v.nextColor("blue")], ["green", "blue", "red"]);
  assert.deepEqual([v.incOption(undefined), v.incOption(4294967295), v.incOption(1)], [undefined, 0, 2]);
  for (const o of [{ tag: "none" }, { tag: "some", val: undefined }, { tag: "some", val: "x" }]) {
    assert.deepEqual(v.echoNestedOption(o), o);
  }
  assert.deepEqual(result(() => v.flipResult({ tag: "ok", val: 7 })), { err: 7 });
  assert.deepEqual(result(() => v.flipResult({ tag: "err", val: "e" })), { ok: "e" });
  assert.deepEqual(result(() => v.flipBareResult({ tag: "ok" })), { err: undefined });
  assert.deepEqual(result(() => v.flipBareResult({ tag: "err" })), { ok: undefined });
  for (const [r, expected] of [
    [{ tag: "ok", val: { tag: "ok", val: 200 } }, { ok: { tag: "ok", val: 200 } }],
    [{ tag: "ok", val: { tag: "ok", val: undefined } }, { ok: { tag: "ok", val: undefined } }],
    [{ tag: "ok", val: { tag: "err", val: "bad" } }, { ok: { tag: "err", val: "bad" } }],
    [{ tag: "err", val: { tag: "ok" } }, { err: { tag: "ok", val: undefined } }],
    [{ tag: "err", val: { tag: "err", val: 2n ** 64n - 1n } }, { err: { tag: "err", val: 2n ** 64n - 1n } }],
  ]) {
    assert.deepEqual(result(() => v.echoNestedResult(r)), expected);
  }
  assert.deepEqual(v.invertFlags1({ a: false }), { a: true });
  assert.deepEqual(flagsSet(v.invertFlags8({ b0: true, b7: true })), ["b1", "b2", "b3", "b4", "b5", "b6"]);
  assert.deepEqual(flagsSet(v.invertFlags9({ c8: true })), ["c0", "c1", "c2", "c3", "c4", "c5", "c6", "c7"]);
  const f32 = v.invertFlags32({ d0: true, d31: true });
  assert.deepEqual([f32.d0, f32.d1, f32.d30, f32.d31, flagsSet(f32).length], [false, true, true, false, 30]);
  assert.deepEqual(v.split(0x123456789abcdef0n), [0x12345678, 0x9abcdef0]);
  assert.equal(v.sum16(4294967295, ...Array.from({ length: 15 }, (_, i) => i + 1)), 119);
  assert.deepEqual(v.many(255, -2, 3, -4n, 0.5, 0.25, true, "A", "text😀", 2n ** 64n - 1n, -6, 7, -8, 1, 2, 9, 10), {
    ints: 255n - 2n + 3n - 4n + 1n + 65n - 1n - 6n + 7n - 8n + 9n + 10n,
    floats: 3.75,
    text: "text😀",
  });
  // post-return frees every result: many calls on one instance do not run it out of memory
  for (let i = 0; i < 5000; i++) {
    v.reverseString("x".repeat(4096));
    v.bumpMixedList([m, m]);
    v.many(1, 1, 1, 1n, 1, 1, false, "a", "s".repeat(4096), 1n, 1, 1, 1, 1, 1, 1, 1);
  }
  assert.equal(v.reverseString("ab"), "ba");
});

test("kv-counter-component: the example's HTTP API", async () => {
  // Issue #8
  const app = await component("examples/kv-counter-component/kv-counter-component.wasm", "kv-counter-component");
  kv2.reset(["default"]);
  const live = kv2.state.live;
  const call = async (method, uri, text) => {
    const res = await request(app, uri, { method, body: text ?? "" });
    return `${res.status} ${res.body}`;
  };
  assert.equal(await call("get", "/"), "200 count: 0\n");
  assert.equal(await call("post", "/"), "200 count: 1\n");
  assert.equal(await call("post", "/"), "200 count: 2\n");
  assert.equal(await call("put", "/greetings/en", "hello"), "201 created\n");
  assert.equal(await call("put", "/greetings/en", "hi"), "200 updated\n");
  assert.equal(await call("get", "/greetings/en"), "200 hi");
  assert.equal(await call("delete", "/greetings/en"), "200 deleted\n");
  assert.equal(await call("get", "/greetings/en"), "404 no such key\n");
  assert.equal(await call("put", "/a%20b", "spaced"), "201 created\n");
  assert.equal(new TextDecoder().decode(kv2.state.stores.get("default").get("a b")), "spaced");
  assert.equal(await call("put", "/count", "x"), "200 updated\n");
  assert.equal(await call("get", "/"), '500 error: the value of key "count" is not a decimal number\n');
  const patch = await request(app, "/", { method: "patch", body: "" });
  assert.equal(patch.status, 405);
  assert.deepEqual(patch.headers, [["content-type", "text/plain; charset=utf-8"], ["allow", "GET, POST"]]);
  assert.equal(await call("get", "/%FF"), "400 error: invalid argument: key or label is not valid UTF-8\n");
  assert.equal(kv2.state.live, live, "every request drops the store it opened");
  kv2.reset(["other"]);
  assert.equal(await call("get", "/"), "500 error: access denied\n");
});
