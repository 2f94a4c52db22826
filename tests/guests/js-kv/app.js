// A JavaScript test guest for Spindle, built with componentize-js (world spindle:guests/js-kv in wit/guests.wit).
// Each route makes the key-value calls its README row names and writes the outcome into the body in a form a test
// can compare exactly. Routes under /v2 use fermyon:spin/key-value@2.0.0, routes under /wasi use wasi:keyvalue.

import { Store } from 'fermyon:spin/key-value@2.0.0';
import { open as openBucket } from 'wasi:keyvalue/store@0.2.0-draft2';
import { increment, swap, Cas } from 'wasi:keyvalue/atomics@0.2.0-draft2';
import { getMany, setMany, deleteMany } from 'wasi:keyvalue/batch@0.2.0-draft2';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const plainText = [['content-type', 'text/plain; charset=utf-8']];

// The signed 64-bit range, for checking `delta` before it becomes a BigInt argument.
const S64_MIN = -(2n ** 63n);
const S64_MAX = 2n ** 63n - 1n;

const methodNames = { get: 'GET', post: 'POST', put: 'PUT', delete: 'DELETE', patch: 'PATCH', head: 'HEAD', options: 'OPTIONS' };

/** A 400 answer for a missing or malformed query parameter; thrown by the parameter readers, caught in handleRequest. */
class BadRequest extends Error {}

function respond(status, body) {
  return { status, headers: plainText, body: typeof body === 'string' ? encoder.encode(body) : body };
}

function concat(...parts) {
  const chunks = parts.map((part) => (typeof part === 'string' ? encoder.encode(part) : part));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

// The route is spin-path-info when the host sends it, else the uri's path (the uri may be a path or a full URL).
function routeOf(req) {
  const pathInfo = req.headers.find(([name]) => name.toLowerCase() === 'spin-path-info');
  if (pathInfo) {
    return pathInfo[1];
  }
  let uri = req.uri;
  const scheme = uri.indexOf('://');
  if (scheme >= 0) {
    const slash = uri.indexOf('/', scheme + 3);
    uri = slash >= 0 ? uri.slice(slash) : '/';
  }
  const query = uri.indexOf('?');
  return query >= 0 ? uri.slice(0, query) : uri;
}

function queryOf(req) {
  const query = req.uri.indexOf('?');
  return new URLSearchParams(query >= 0 ? req.uri.slice(query + 1) : '');
}

function required(query, name) {
  const value = query.get(name);
  if (value === null) {
    throw new BadRequest(`missing ${name}`);
  }
  return value;
}

function integer(query, name) {
  const text = required(query, name);
  if (!/^-?[0-9]+$/.test(text)) {
    throw new BadRequest(`not an integer: ${name}`);
  }
  return BigInt(text);
}

// The error variants of both interfaces: a tag, and for `other` its message.
function errorText(error) {
  return error.tag === 'other' ? `err:other:${error.val}` : `err:${error.tag}`;
}

// Runs `body` and turns a ComponentError (an `err` result of an import) into its `err:` text; anything else escapes.
function attempt(body) {
  try {
    return body();
  } catch (e) {
    if (e && typeof e === 'object' && 'payload' in e && e.payload && typeof e.payload.tag === 'string') {
      return errorText(e.payload);
    }
    throw e;
  }
}

function optionText(value) {
  return value === undefined ? 'none' : concat('some:', value);
}

function withStore(label, body) {
  const store = Store.open(label);
  try {
    return body(store);
  } finally {
    store[Symbol.dispose]();
  }
}

function withBucket(label, body) {
  const bucket = openBucket(label);
  try {
    return body(bucket);
  } finally {
    bucket[Symbol.dispose]();
  }
}

function lines(items) {
  return items.map((item) => `${item}\n`).join('');
}

function echo(req) {
  const head = `${methodNames[req.method] ?? req.method}\n${req.uri}\n${lines(req.headers.map(([n, v]) => `${n}: ${v}`))}\n`;
  return respond(200, concat(head, req.body ?? new Uint8Array(0)));
}

const routes = {
  // fermyon:spin/key-value@2.0.0
  '/v2/open': (q) => attempt(() => withStore(q.get('label') ?? 'default', () => 'ok')),
  '/v2/get': (q) => attempt(() => withStore(q.get('label') ?? 'default', (s) => optionText(s.get(required(q, 'key'))))),
  '/v2/set': (q, req) =>
    attempt(() => withStore(q.get('label') ?? 'default', (s) => (s.set(required(q, 'key'), req.body ?? new Uint8Array(0)), 'ok'))),
  '/v2/delete': (q) => attempt(() => withStore(q.get('label') ?? 'default', (s) => (s.delete(required(q, 'key')), 'ok'))),
  '/v2/exists': (q) => attempt(() => withStore(q.get('label') ?? 'default', (s) => `ok:${s.exists(required(q, 'key'))}`)),
  '/v2/keys': (q) => attempt(() => withStore(q.get('label') ?? 'default', (s) => `ok:${sorted(s.getKeys()).join('\n')}`)),
  '/v2/open-drop': (q) => {
    const count = Number(integer(q, 'count'));
    for (let i = 0; i < count; i++) {
      const result = attempt(() => withStore(q.get('label') ?? 'default', () => 'ok'));
      if (result !== 'ok') {
        return `${result} after ${i}`;
      }
    }
    return 'ok';
  },

  // wasi:keyvalue/store
  '/wasi/open': (q) => attempt(() => withBucket(q.get('label') ?? 'default', () => 'ok')),
  '/wasi/get': (q) => attempt(() => withBucket(q.get('label') ?? 'default', (b) => optionText(b.get(required(q, 'key'))))),
  '/wasi/set': (q, req) =>
    attempt(() => withBucket(q.get('label') ?? 'default', (b) => (b.set(required(q, 'key'), req.body ?? new Uint8Array(0)), 'ok'))),
  '/wasi/delete': (q) => attempt(() => withBucket(q.get('label') ?? 'default', (b) => (b.delete(required(q, 'key')), 'ok'))),
  '/wasi/exists': (q) => attempt(() => withBucket(q.get('label') ?? 'default', (b) => `ok:${b.exists(required(q, 'key'))}`)),
  '/wasi/list-keys': (q) =>
    attempt(() =>
      withBucket(q.get('label') ?? 'default', (b) => {
        const page = b.listKeys(q.has('cursor') ? q.get('cursor') : undefined);
        return `ok\n${page.cursor === undefined ? 'end' : `cursor:${page.cursor}`}\n${lines(page.keys)}`;
      }),
    ),
  '/wasi/list-all': (q) =>
    attempt(() =>
      withBucket(q.get('label') ?? 'default', (b) => {
        const keys = [];
        let cursor;
        let pages = 0;
        do {
          const page = b.listKeys(cursor);
          pages++;
          keys.push(...page.keys);
          cursor = page.cursor;
        } while (cursor !== undefined);
        return `ok:${pages}\n${lines(keys)}`;
      }),
    ),

  // wasi:keyvalue/atomics
  '/wasi/increment': (q) => {
    const delta = integer(q, 'delta');
    if (delta < S64_MIN || delta > S64_MAX) {
      throw new BadRequest('not an s64: delta');
    }
    // componentize-js 0.23.0 aborts the instance when a negative s64 is passed to an import (coreabi_from_bigint64),
    // so a negative delta is refused here unless `unguarded` asks to show that abort.
    if (delta < 0n && !q.has('unguarded')) {
      return respond(400, 'bad-request:negative delta (componentize-js 0.23.0 aborts on negative s64 arguments)');
    }
    return attempt(() => withBucket(q.get('label') ?? 'default', (b) => `ok:${increment(b, required(q, 'key'), delta)}`));
  },
  '/wasi/cas-current': (q) =>
    attempt(() =>
      withBucket(q.get('label') ?? 'default', (b) => {
        const cas = Cas.new(b, required(q, 'key'));
        try {
          return optionText(cas.current());
        } finally {
          cas[Symbol.dispose]();
        }
      }),
    ),
  '/wasi/cas-swap': (q, req) =>
    attempt(() => withBucket(q.get('label') ?? 'default', (b) => casSwap(Cas.new(b, required(q, 'key')), req.body ?? new Uint8Array(0)))),
  '/wasi/cas-conflict': (q, req) =>
    attempt(() =>
      withBucket(q.get('label') ?? 'default', (b) => {
        const key = required(q, 'key');
        const cas = Cas.new(b, key);
        cas.current();
        b.set(key, encoder.encode(q.get('other') ?? 'changed'));
        return casSwap(cas, req.body ?? new Uint8Array(0));
      }),
    ),
  '/wasi/cas-increment': (q) =>
    attempt(() =>
      withBucket(q.get('label') ?? 'default', (b) => {
        const key = required(q, 'key');
        for (let tries = 1; tries <= 1000; tries++) {
          const cas = Cas.new(b, key);
          const current = cas.current();
          const next = (current === undefined ? 0n : BigInt(decoder.decode(current))) + 1n;
          const outcome = casSwap(cas, encoder.encode(String(next)));
          if (outcome === 'ok') {
            return `ok:${next}:${tries}`;
          }
          if (outcome !== 'err:cas-failed') {
            return outcome;
          }
        }
        return 'err:gave up after 1000 tries';
      }),
    ),

  // wasi:keyvalue/batch
  '/wasi/get-many': (q) =>
    attempt(() =>
      withBucket(q.get('label') ?? 'default', (b) => {
        const found = getMany(b, q.getAll('key'));
        return concat('ok\n', ...found.flatMap(([key, value]) => [`${key}=`, optionText(value), '\n']));
      }),
    ),
  '/wasi/set-many': (q) => {
    const keys = q.getAll('key');
    const values = q.getAll('value');
    if (keys.length !== values.length) {
      throw new BadRequest('key and value counts differ');
    }
    return attempt(() =>
      withBucket(q.get('label') ?? 'default', (b) => (setMany(b, keys.map((key, i) => [key, encoder.encode(values[i])])), 'ok')),
    );
  },
  '/wasi/delete-many': (q) => attempt(() => withBucket(q.get('label') ?? 'default', (b) => (deleteMany(b, q.getAll('key')), 'ok'))),

  // no key-value calls
  '/echo': (_q, req) => echo(req),
  '/status': (q) => respond(Number(integer(q, 'code')) & 0xffff, 'ok'),
  '/throw': () => {
    throw new Error('thrown by /throw');
  },
  // For the host's limits: never returns (the request deadline must stop it), or allocates until memory runs out.
  '/loop': () => {
    for (;;) {
      // spin
    }
  },
  '/membomb': () => {
    const chunks = [];
    for (;;) {
      chunks.push(new Uint8Array(1024 * 1024).fill(1));
    }
  },
};

// swap consumes the cas handle; on cas-failed it comes back and is dropped here.
function casSwap(cas, value) {
  try {
    swap(cas, value);
    return 'ok';
  } catch (e) {
    const error = e && typeof e === 'object' && 'payload' in e ? e.payload : undefined;
    if (error?.tag === 'cas-failed') {
      error.val[Symbol.dispose]();
      return 'err:cas-failed';
    }
    if (error?.tag === 'store-error') {
      return `err:store-error:${errorText(error.val).slice('err:'.length)}`;
    }
    throw e;
  }
}

function sorted(keys) {
  // By UTF-16 code units, which orders like bytes for the ASCII keys the tests use.
  return [...keys].sort();
}

export const inboundHttp = {
  handleRequest(req) {
    const route = routeOf(req);
    const handler = routes[route];
    if (!handler) {
      return respond(404, `not-found:${route}`);
    }
    try {
      const result = handler(queryOf(req), req);
      return typeof result === 'string' || result instanceof Uint8Array ? respond(200, result) : result;
    } catch (e) {
      if (e instanceof BadRequest) {
        return respond(400, `bad-request:${e.message}`);
      }
      throw e;
    }
  },
};
