// Serves a j2w-built wasi:http component (a Spin JS app) in node the way `jco serve --isolate-requests instance`
// does: jco transpiles it with sync instantiation, the preview2 shim's HTTPServer listens on a local port, and each
// request gets a fresh instance over the same in-memory key-value hosts (kv2.mjs, wasi-kv.mjs). Records what the
// guest asks of the host, so tests can check how the SDK uses the interfaces.
import { after } from 'node:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import * as kv2 from './kv2.mjs';
import * as wasiKv from './wasi-kv.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const script = join(root, 'scripts/build-js-guests.sh');
const run = (args) => execFileSync('bash', [script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What the guest did: the deltas `increment` got, `swap` calls, `list-keys` cursors, instances, traps. */
export const calls = { increments: [], swaps: 0, listKeys: [], instances: 0, traps: [] };
/**
 * Hooks a test may set: `beforeSwap(cas)` runs before the host's swap (to play a concurrent writer); `open(label)`
 * replaces wasi:keyvalue's `open`.
 */
export const hooks = { beforeSwap: undefined, open: undefined };
export { kv2, wasiKv };

const listKeys = wasiKv.Bucket.prototype.listKeys;
wasiKv.Bucket.prototype.listKeys = function (cursor) {
  calls.listKeys.push(cursor);
  return listKeys.call(this, cursor);
};

/** The component's variables, as fermyon:spin/variables serves them (set by a test; `fresh` empties them). */
export const variables = new Map();

const keyValueImports = () => ({
  'fermyon:spin/key-value': { Store: kv2.Store },
  'fermyon:spin/variables': {
    get(name) {
      if (!/^[a-z](_?[a-z0-9])*$/.test(name)) throw { tag: 'invalid-name', val: `'${name}' is not a variable name` };
      if (!variables.has(name)) throw { tag: 'undefined', val: `no variable '${name}'` };
      return variables.get(name);
    },
  },
  'wasi:keyvalue/store': { Bucket: wasiKv.Bucket, open: (label) => (hooks.open ?? wasiKv.open)(label) },
  'wasi:keyvalue/atomics': {
    Cas: wasiKv.Cas,
    increment(bucket, key, delta) {
      calls.increments.push(delta);
      return wasiKv.increment(bucket, key, delta);
    },
    swap(cas, value) {
      calls.swaps++;
      hooks.beforeSwap?.(cas);
      return wasiKv.swap(cas, value);
    },
  },
  'wasi:keyvalue/batch': { getMany: wasiKv.getMany, setMany: wasiKv.setMany, deleteMany: wasiKv.deleteMany },
});

/** Empties both hosts (labels as given, `pageSize` keys per list-keys page) and the records. */
export function fresh({ labels, pageSize = 3 } = {}) {
  wasiKv.reset(labels, pageSize);
  kv2.reset(labels);
  Object.assign(calls, { increments: [], swaps: 0, listKeys: [], instances: 0, traps: [] });
  hooks.beforeSwap = undefined;
  hooks.open = undefined;
  variables.clear();
}

/** The value of `key` in the wasi:keyvalue host's bucket `label`, as text (undefined when missing). */
export function stored(key, label = 'default') {
  const bytes = wasiKv.state.buckets.get(label).get(key);
  return bytes === undefined ? undefined : decoder.decode(bytes);
}

/**
 * Builds guest `name` (scripts/build-js-guests.sh, or SPINDLE_GUEST_<NAME>), serves it, and returns
 * `send(method, path, body)` -> { status, type, headers, text, json }. The server stops when the test file ends.
 */
export async function serve(name) {
  const component = process.env[`SPINDLE_GUEST_${name.toUpperCase().replaceAll('-', '_')}`] || run([name]);
  const tools = join(run(['--tools']), 'node_modules');
  const shimFile = (file) => pathToFileURL(join(tools, '@bytecodealliance/preview2-shim/dist', file)).href;

  const out = mkdtempSync(join(tmpdir(), `spindle-${name}-`));
  process.on('exit', () => rmSync(out, { recursive: true, force: true }));
  execFileSync(join(tools, '.bin/jco'), ['transpile', component, '-o', out, '--instantiation', 'sync', '--name', name, '-q'], { stdio: 'inherit' });
  const { instantiate } = await import(pathToFileURL(join(out, `${name}.js`)).href);
  const { HTTPServer, types: httpTypes } = await import(shimFile('nodejs/http.js'));
  const { WASIShim } = await import(shimFile('common/instantiation.js'));

  const modules = new Map();
  const getCoreModule = (path) => {
    if (!modules.has(path)) {
      modules.set(path, new WebAssembly.Module(readFileSync(join(out, path))));
    }
    return modules.get(path);
  };

  // A trapped instance never answers; answer 500 for it, so that a fault fails an assertion, not a timeout.
  const answerTrap = (responseOut, error) => {
    try {
      const response = new httpTypes.OutgoingResponse(new httpTypes.Fields());
      response.setStatusCode(500);
      const body = response.body();
      httpTypes.ResponseOutparam.set(responseOut, { tag: 'ok', val: response });
      const stream = body.write();
      stream.blockingWriteAndFlush(encoder.encode(`trap: ${error?.message ?? error}`));
      stream[Symbol.dispose]();
      httpTypes.OutgoingBody.finish(body, undefined);
    } catch {
      // The guest had set its response already: the client sees it cut short.
    }
  };

  const server = new HTTPServer({
    handle(request, responseOut) {
      calls.instances++;
      try {
        const instance = instantiate(getCoreModule, { ...new WASIShim().getImportObject(), ...keyValueImports() });
        instance.incomingHandler.handle(request, responseOut);
      } catch (error) {
        calls.traps.push(String(error?.message ?? error));
        answerTrap(responseOut, error);
      }
    },
  });
  server.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${server.address().port}`;
  after(() => server.stop());

  return async function send(method, path, body) {
    const init = { method, signal: AbortSignal.timeout(60_000) };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      init.headers = { 'content-type': 'application/json' };
    }
    const response = await fetch(base + path, init);
    const text = await response.text();
    const type = response.headers.get('content-type') ?? '';
    return { status: response.status, type, headers: response.headers, text, json: type.startsWith('application/json') ? JSON.parse(text) : undefined };
  };
}
