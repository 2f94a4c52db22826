// Checks js-kv's routes without Spindle: the built component is transpiled by jco and run in node against
// key-value imports implemented here in memory, with the semantics of ../../../docs/semantics.md (missing key = none,
// decimal counters, compare-and-swap that fails on a change, list-keys pages with a cursor). It pins the README's
// bodies, so a Spindle test that gets another body points at the host, not the guest.
//
//   node --test tests/guests/js-kv/            (scripts/build-js-guests.sh builds the component when needed)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const script = join(root, 'scripts/build-js-guests.sh');
const run = (args) => execFileSync('bash', [script, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();

const component = process.env.SPINDLE_GUEST_JS_KV || run(['js-kv']);
const tools = run(['--tools']);
const jco = join(tools, 'node_modules/.bin/jco');
const shim = await import(pathToFileURL(join(tools, 'node_modules/@bytecodealliance/preview2-shim/dist/nodejs/index.js')).href);

const out = mkdtempSync(join(tmpdir(), 'spindle-js-kv-'));
process.on('exit', () => rmSync(out, { recursive: true, force: true }));
execFileSync(jco, ['transpile', component, '-o', out, '--instantiation', 'async', '--name', 'js-kv', '-q'], { stdio: 'inherit' });
const { instantiate } = await import(pathToFileURL(join(out, 'js-kv.js')).href);
const modules = new Map();
const getCoreModule = (path) => {
  if (!modules.has(path)) {
    modules.set(path, WebAssembly.compile(readFileSync(join(out, path))));
  }
  return modules.get(path);
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const bytes = (text) => encoder.encode(text);

const failure = (payload) => Object.assign(new Error(`key-value error ${payload.tag}`), { payload });
const sameBytes = (a, b) => (a === undefined || b === undefined ? a === b : Buffer.from(a).equals(Buffer.from(b)));

/** The key-value host: stores by label, live resource counts, and the two interfaces' import objects. */
function keyValueHost({ labels = ['default', 'other'], pageSize = 2 } = {}) {
  const data = new Map(labels.map((label) => [label, new Map()]));
  const live = { store: 0, bucket: 0, cas: 0 };
  const opened = (label) => {
    const map = data.get(label);
    if (!map) {
      throw failure({ tag: 'access-denied' });
    }
    return map;
  };

  class Store {
    #map;
    constructor(map) {
      this.#map = map;
      live.store++;
    }
    static open(label) {
      return new Store(opened(label));
    }
    get(key) {
      return this.#map.get(key);
    }
    set(key, value) {
      this.#map.set(key, Uint8Array.from(value));
    }
    delete(key) {
      this.#map.delete(key);
    }
    exists(key) {
      return this.#map.has(key);
    }
    getKeys() {
      return [...this.#map.keys()];
    }
    [Symbol.dispose]() {
      live.store--;
    }
  }

  class Bucket {
    constructor(map) {
      this.map = map;
      live.bucket++;
    }
    get(key) {
      return this.map.get(key);
    }
    set(key, value) {
      this.map.set(key, Uint8Array.from(value));
    }
    delete(key) {
      this.map.delete(key);
    }
    exists(key) {
      return this.map.has(key);
    }
    // Pages of `pageSize` keys in sorted order; the cursor is the last key of the page.
    listKeys(cursor) {
      const keys = [...this.map.keys()].sort().filter((key) => cursor === undefined || key > cursor);
      const page = keys.slice(0, pageSize);
      return { keys: page, cursor: keys.length > pageSize ? page[page.length - 1] : undefined };
    }
    [Symbol.dispose]() {
      live.bucket--;
    }
  }

  class Cas {
    constructor(bucket, key) {
      this.bucket = bucket;
      this.key = key;
      this.seen = bucket.map.get(key);
      live.cas++;
    }
    static new(bucket, key) {
      return new Cas(bucket, key);
    }
    current() {
      return this.seen;
    }
    [Symbol.dispose]() {
      live.cas--;
    }
  }

  const imports = {
    'fermyon:spin/key-value@2.0.0': { Store },
    'wasi:keyvalue/store@0.2.0-draft2': { Bucket, open: (label) => new Bucket(opened(label)) },
    'wasi:keyvalue/atomics@0.2.0-draft2': {
      Cas,
      increment(bucket, key, delta) {
        const current = bucket.map.get(key);
        const value = (current === undefined ? 0n : BigInt(decoder.decode(current))) + delta;
        bucket.map.set(key, bytes(String(value)));
        return value;
      },
      swap(cas, value) {
        if (!sameBytes(cas.bucket.map.get(cas.key), cas.seen)) {
          throw failure({ tag: 'cas-failed', val: cas });
        }
        cas.bucket.map.set(cas.key, Uint8Array.from(value));
        cas[Symbol.dispose]();
      },
    },
    'wasi:keyvalue/batch@0.2.0-draft2': {
      getMany: (bucket, keys) => keys.map((key) => [key, bucket.map.get(key)]),
      setMany: (bucket, pairs) => pairs.forEach(([key, value]) => bucket.map.set(key, Uint8Array.from(value))),
      deleteMany: (bucket, keys) => keys.forEach((key) => bucket.map.delete(key)),
    },
  };
  return { data, live, imports };
}

const wasi = {
  'fermyon:spin/http-types': {},
  'wasi:cli/stderr@0.2.12': shim.cli.stderr,
  'wasi:cli/stdin@0.2.12': shim.cli.stdin,
  'wasi:cli/stdout@0.2.12': shim.cli.stdout,
  'wasi:cli/terminal-input@0.2.12': shim.cli.terminalInput,
  'wasi:cli/terminal-output@0.2.12': shim.cli.terminalOutput,
  'wasi:cli/terminal-stderr@0.2.12': shim.cli.terminalStderr,
  'wasi:cli/terminal-stdin@0.2.12': shim.cli.terminalStdin,
  'wasi:cli/terminal-stdout@0.2.12': shim.cli.terminalStdout,
  'wasi:clocks/monotonic-clock@0.2.12': shim.clocks.monotonicClock,
  'wasi:clocks/wall-clock@0.2.12': shim.clocks.wallClock,
  'wasi:filesystem/preopens@0.2.12': shim.filesystem.preopens,
  'wasi:filesystem/types@0.2.12': shim.filesystem.types,
  'wasi:io/error@0.2.12': shim.io.error,
  'wasi:io/poll@0.2.12': shim.io.poll,
  'wasi:io/streams@0.2.12': shim.io.streams,
  'wasi:random/random@0.2.12': shim.random.random,
};

/** A fresh instance over `host`, as Spindle gives each request; returns a function that sends one request. */
async function guest(host) {
  // jco 1.35.0's instantiation glue looks imports up without their version (its .d.ts names them with it).
  const imports = Object.fromEntries(Object.entries({ ...wasi, ...host.imports }).map(([name, value]) => [name.replace(/@.*$/, ''), value]));
  const root = await instantiate(getCoreModule, imports);
  return (uri, { method = 'get', headers = [], body } = {}) => {
    const response = root.inboundHttp.handleRequest({ method, uri, headers, params: [], body: body === undefined ? undefined : bytes(body) });
    return { status: response.status, headers: response.headers, text: decoder.decode(response.body ?? new Uint8Array(0)) };
  };
}

/** Sends each request to its own fresh instance over one host, and returns the body (status 200 asserted). */
async function bodies(host, ...requests) {
  const results = [];
  for (const request of requests) {
    const [uri, options] = Array.isArray(request) ? request : [request];
    const response = (await guest(host))(uri, options);
    assert.equal(response.status, 200, `${uri}: ${response.text}`);
    results.push(response.text);
  }
  return results;
}

test('v2 routes open, set, get, exists, keys, delete', async () => {
  const host = keyValueHost();
  assert.deepEqual(
    await bodies(
      host,
      '/v2/open',
      '/v2/get?key=a',
      ['/v2/set?key=a', { method: 'put', body: 'one' }],
      ['/v2/set?key=b%20c', { method: 'put', body: 'two' }],
      '/v2/get?key=a',
      '/v2/exists?key=a',
      '/v2/exists?key=zz',
      '/v2/keys',
      '/v2/delete?key=a',
      '/v2/delete?key=a',
      '/v2/get?key=a',
      '/v2/keys',
      '/v2/keys?label=other',
    ),
    ['ok', 'none', 'ok', 'ok', 'some:one', 'ok:true', 'ok:false', 'ok:a\nb c', 'ok', 'ok', 'none', 'ok:b c', 'ok:'],
  );
  assert.deepEqual(host.live, { store: 0, bucket: 0, cas: 0 });
});

test('v2 and wasi report an error variant as err:<tag>', async () => {
  const host = keyValueHost();
  assert.deepEqual(await bodies(host, '/v2/open?label=nope', '/v2/get?label=nope&key=a', '/wasi/open?label=nope'), [
    'err:access-denied',
    'err:access-denied',
    'err:access-denied',
  ]);
  host.imports['fermyon:spin/key-value@2.0.0'].Store.open = () => {
    throw failure({ tag: 'other', val: 'backend down' });
  };
  assert.deepEqual(await bodies(host, '/v2/get?key=a'), ['err:other:backend down']);
});

test('v2 open-drop releases every store it opens', async () => {
  const host = keyValueHost();
  assert.deepEqual(await bodies(host, '/v2/open-drop?count=500'), ['ok']);
  assert.equal(host.live.store, 0);
});

test('wasi store routes', async () => {
  const host = keyValueHost();
  assert.deepEqual(
    await bodies(
      host,
      '/wasi/open',
      '/wasi/get?key=k',
      ['/wasi/set?key=k', { method: 'post', body: 'v1' }],
      '/wasi/get?key=k',
      '/wasi/exists?key=k',
      '/wasi/delete?key=k',
      '/wasi/exists?key=k',
    ),
    ['ok', 'none', 'ok', 'some:v1', 'ok:true', 'ok', 'ok:false'],
  );
  assert.deepEqual(host.live, { store: 0, bucket: 0, cas: 0 });
});

test('wasi list-keys returns one page and its cursor; list-all follows cursors to the end', async () => {
  const host = keyValueHost({ pageSize: 2 });
  for (const key of ['c', 'a', 'e', 'b', 'd']) {
    host.data.get('default').set(key, bytes('x'));
  }
  assert.deepEqual(await bodies(host, '/wasi/list-keys', '/wasi/list-keys?cursor=b', '/wasi/list-keys?cursor=d', '/wasi/list-all'), [
    'ok\ncursor:b\na\nb\n',
    'ok\ncursor:d\nc\nd\n',
    'ok\nend\ne\n',
    'ok:3\na\nb\nc\nd\ne\n',
  ]);
  assert.deepEqual(await bodies(keyValueHost(), '/wasi/list-keys', '/wasi/list-all'), ['ok\nend\n', 'ok:1\n']);
});

test('wasi increment counts in decimal and refuses a negative delta unless unguarded', async () => {
  const host = keyValueHost();
  assert.deepEqual(await bodies(host, '/wasi/increment?key=n&delta=5', '/wasi/increment?key=n&delta=0', '/wasi/increment?key=n&delta=9223372036854775800'), [
    'ok:5',
    'ok:5',
    'ok:9223372036854775805',
  ]);
  assert.equal(decoder.decode(host.data.get('default').get('n')), '9223372036854775805');
  const refused = (await guest(host))('/wasi/increment?key=n&delta=-1');
  assert.deepEqual([refused.status, refused.text], [400, 'bad-request:negative delta (componentize-js 0.23.0 aborts on negative s64 arguments)']);
  const tooBig = (await guest(host))('/wasi/increment?key=n&delta=9223372036854775808');
  assert.deepEqual([tooBig.status, tooBig.text], [400, 'bad-request:not an s64: delta']);
});

test('componentize-js 0.23.0 aborts on a negative s64 argument (the reason for the guard)', async () => {
  const host = keyValueHost();
  let called = false;
  host.imports['wasi:keyvalue/atomics@0.2.0-draft2'].increment = () => {
    called = true;
    return 0n;
  };
  const send = await guest(host);
  assert.throws(() => send('/wasi/increment?key=n&delta=-1&unguarded'), WebAssembly.RuntimeError);
  assert.equal(called, false, 'the import was not reached');
});

test('wasi cas: current, swap, insert on absent, conflict, retry loop', async () => {
  const host = keyValueHost();
  assert.deepEqual(
    await bodies(
      host,
      '/wasi/cas-current?key=c',
      ['/wasi/cas-swap?key=c', { method: 'post', body: 'first' }],
      '/wasi/cas-current?key=c',
      ['/wasi/cas-swap?key=c', { method: 'post', body: 'second' }],
      '/wasi/get?key=c',
      ['/wasi/cas-conflict?key=c&other=theirs', { method: 'post', body: 'mine' }],
      '/wasi/get?key=c',
      '/wasi/cas-increment?key=n',
      '/wasi/cas-increment?key=n',
    ),
    ['none', 'ok', 'some:first', 'ok', 'some:second', 'err:cas-failed', 'some:theirs', 'ok:1:1', 'ok:2:1'],
  );
  assert.deepEqual(host.live, { store: 0, bucket: 0, cas: 0 });
});

test('wasi batch: set-many, get-many in request order with none for a missing key, delete-many', async () => {
  const host = keyValueHost();
  assert.deepEqual(
    await bodies(
      host,
      '/wasi/set-many?key=a&value=1&key=b&value=2',
      '/wasi/get-many?key=b&key=missing&key=a',
      '/wasi/delete-many?key=a&key=missing',
      '/wasi/get-many?key=a&key=b',
      '/wasi/get-many',
    ),
    ['ok', 'ok\nb=some:2\nmissing=none\na=some:1\n', 'ok', 'ok\na=none\nb=some:2\n', 'ok\n'],
  );
});

test('spin-path-info decides the route; a full URL works too', async () => {
  const send = await guest(keyValueHost());
  assert.equal(send('/app/whatever?key=a', { headers: [['spin-path-info', '/v2/get']] }).text, 'none');
  assert.equal(send('http://localhost:3000/v2/exists?key=a').text, 'ok:false');
});

test('echo returns method, uri, headers in order, a blank line, then the body', async () => {
  const send = await guest(keyValueHost());
  const response = send('/echo?x=1', { method: 'post', headers: [['a', '1'], ['B', 'two'], ['a', '3']], body: 'payload\n' });
  assert.equal(response.status, 200);
  assert.deepEqual(response.headers, [['content-type', 'text/plain; charset=utf-8']]);
  assert.equal(response.text, 'POST\n/echo?x=1\na: 1\nB: two\na: 3\n\npayload\n');
  assert.equal(send('/echo').text, 'GET\n/echo\n\n');
});

test('status, bad requests and unknown routes', async () => {
  const send = await guest(keyValueHost());
  const answer = (uri) => {
    const response = send(uri);
    return [response.status, response.text];
  };
  assert.deepEqual(answer('/status?code=418'), [418, 'ok']);
  assert.deepEqual(answer('/v2/get'), [400, 'bad-request:missing key']);
  assert.deepEqual(answer('/wasi/increment?key=n&delta=x'), [400, 'bad-request:not an integer: delta']);
  assert.deepEqual(answer('/wasi/set-many?key=a'), [400, 'bad-request:key and value counts differ']);
  assert.deepEqual(answer('/nope'), [404, 'not-found:/nope']);
});

test('/throw traps the instance; a fresh instance serves the next request', async () => {
  const host = keyValueHost();
  const send = await guest(host);
  assert.throws(() => send('/throw'), WebAssembly.RuntimeError);
  assert.deepEqual(await bodies(host, '/v2/open'), ['ok']);
});

test('a negative s64 result (not argument) reaches the guest intact', async () => {
  const host = keyValueHost();
  host.data.get('default').set('n', bytes('-10'));
  assert.deepEqual(await bodies(host, '/wasi/increment?key=n&delta=5', '/wasi/increment?key=n&delta=5'), ['ok:-5', 'ok:0']);
});

test('a 1 MiB value goes through set and get, and a 1 MiB body through echo, byte for byte', async () => {
  const host = keyValueHost();
  const big = 'x'.repeat(512 * 1024) + 'y'.repeat(512 * 1024);
  assert.deepEqual(await bodies(host, ['/v2/set?key=big', { method: 'put', body: big }]), ['ok']);
  assert.equal(host.data.get('default').get('big').length, 1024 * 1024);
  const [got] = await bodies(host, '/v2/get?key=big');
  assert.equal(got, `some:${big}`);
  const [echoed] = await bodies(host, ['/echo', { method: 'post', body: big }]);
  assert.equal(echoed, `POST\n/echo\n\n${big}`);
});

test('non-ASCII keys and values cross as UTF-8', async () => {
  const host = keyValueHost();
  assert.deepEqual(
    await bodies(host, ['/v2/set?key=%C3%A9t%C3%A9', { method: 'put', body: 'ünï' }], '/v2/get?key=été', '/v2/keys', '/wasi/get-many?key=%C3%A9t%C3%A9'),
    ['ok', 'some:ünï', 'ok:été', 'ok\nété=some:ünï\n'],
  );
  assert.deepEqual([...host.data.get('default').keys()], ['été']);
});
