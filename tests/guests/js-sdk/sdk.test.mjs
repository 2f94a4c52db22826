// Checks every function of @spindle/kv (sdk/js/README.md) inside a real j2w build: the js-sdk guest runs the calls a
// test sends (POST /sdk, see src/index.js) against the in-memory hosts of ../hosts, served as wasi:http by
// ../hosts/wasi-http.mjs with a fresh instance per request.
//
//   node --test tests/guests/js-sdk/      (SPINDLE_GUEST_JS_SDK, or the script builds the component when needed)
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { calls, fresh, hooks, kv2, serve, stored, variables, wasiKv } from '../hosts/wasi-http.mjs';

const encoder = new TextEncoder();
const send = await serve('js-sdk');

/** Runs the calls in one request; returns each call's {ok} or {error}. */
async function sdk(...ops) {
  const response = await send('POST', '/sdk', { ops });
  assert.equal(response.status, 200, response.text);
  return response.json;
}
const ok = (value) => ({ ok: value });
const none = { $undefined: true };
const bytes = (text) => ({ $bytes: [...encoder.encode(text)] });
const error = (name, kase, message, detail) => ({
  error: { name, case: kase, message, ...(detail === undefined ? {} : { detail }), keyValueError: true },
});
const typeError = (message) => ({ error: { name: 'TypeError', message, keyValueError: false } });

test('open, get, set, delete, exists, getText on a wasi:keyvalue bucket', async () => {
  // Issue #9
  fresh();
  assert.deepEqual(
    await sdk(
      ['openDefault'],
      ['get', 'a'],
      ['exists', 'a'],
      ['set', 'a', 'héllo'],
      ['get', 'a'],
      ['getText', 'a'],
      ['exists', 'a'],
      ['set', 'b', { $bytes: [0, 255, 1] }],
      ['get', 'b'],
      ['set', 'empty', ''],
      ['get', 'empty'],
      ['delete', 'a'],
      ['delete', 'a'],
      ['get', 'a'],
      ['getText', 'a'],
    ),
    [
      ok({ label: 'default', kind: 'Store' }),
      ok(none),
      ok(false),
      ok(none),
      ok(bytes('héllo')),
      ok('héllo'),
      ok(true),
      ok(none),
      ok({ $bytes: [0, 255, 1] }),
      ok(none),
      ok({ $bytes: [] }),
      ok(none),
      ok(none),
      ok(none),
      ok(none),
    ],
  );
  assert.deepEqual(await sdk(['open', 'other'], ['set', 'x', '1']), [ok({ label: 'other', kind: 'Store' }), ok(none)]);
  assert.equal(stored('x', 'other'), '1');
  assert.equal(stored('x'), undefined);
});

test('getJson and setJson round-trip JSON; a missing key is undefined; not-JSON is a SyntaxError', async () => {
  // Issue #9
  fresh();
  const value = { n: 1, list: [true, null, 'ü'], nested: { a: 2.5 } };
  assert.deepEqual(await sdk(['openDefault'], ['getJson', 'j'], ['setJson', 'j', value], ['getJson', 'j'], ['setJson', 's', 'text'], ['getText', 's']), [
    ok({ label: 'default', kind: 'Store' }),
    ok(none),
    ok(none),
    ok(value),
    ok(none),
    ok('"text"'),
  ]);
  assert.equal(stored('j'), JSON.stringify(value));
  wasiKv.state.buckets.get('default').set('bad', encoder.encode('{oops'));
  const [, bad, undef] = await sdk(['openDefault'], ['getJson', 'bad'], ['setJson', 'u', { $undefined: true }]);
  assert.equal(bad.error.name, 'SyntaxError');
  assert.match(bad.error.message, /^getJson "bad": the value is not JSON \(/);
  assert.deepEqual(undef, typeError('setJson "u": undefined has no JSON form'));
  assert.equal(stored('u'), undefined);
});

test('keys() iterates every page of list-keys; prefix filters', async () => {
  // Issue #9
  fresh({ pageSize: 3 });
  const keys = Array.from({ length: 10 }, (_, i) => `k${String(i).padStart(2, '0')}`);
  for (const key of [...keys, 'other:1', 'other:2']) {
    wasiKv.state.buckets.get('default').set(key, encoder.encode('v'));
  }
  const [, all, prefixed] = await sdk(['openDefault'], ['keys'], ['keys', { prefix: 'other:' }]);
  assert.deepEqual(all, ok([...keys, 'other:1', 'other:2']));
  assert.deepEqual(prefixed, ok(['other:1', 'other:2']));
  assert.deepEqual(calls.listKeys.slice(0, 4), [undefined, 'k02', 'k05', 'k08'], 'four pages of three, each from the last cursor');
  assert.equal(calls.listKeys.length, 8);

  fresh({ pageSize: 3 });
  assert.deepEqual((await sdk(['openDefault'], ['keys']))[1], ok([]));
  assert.deepEqual(calls.listKeys, [undefined]);
});

test('keys() refuses a host that hands back the same cursor', async () => {
  // Issue #9
  fresh();
  const listKeys = wasiKv.Bucket.prototype.listKeys;
  wasiKv.Bucket.prototype.listKeys = function (cursor) {
    calls.listKeys.push(cursor);
    return { keys: ['a'], cursor: 'a' };
  };
  try {
    const [, looped] = await sdk(['openDefault'], ['keys']);
    assert.deepEqual(looped, error('StoreFailureError', 'other', 'keys on store "default": the host returned cursor "a" twice'));
    assert.deepEqual(calls.listKeys, [undefined, 'a']);
  } finally {
    wasiKv.Bucket.prototype.listKeys = listKeys;
  }
});

test('increment: counts from 0, takes numbers and bigints, and never passes a negative s64 to the import', async () => {
  // Issue #9
  fresh();
  assert.deepEqual(
    await sdk(
      ['openDefault'],
      ['increment', 'n'],
      ['increment', 'n', 4],
      ['increment', 'n', { $bigint: '10' }],
      ['increment', 'n', 0],
      ['increment', 'n', -20],
      ['increment', 'n', { $bigint: '-1' }],
      ['increment', 'fresh', -3],
      ['increment', 'n', 1.5],
      ['increment', 'n', '1'],
      ['increment', 'n', { $bigint: '9223372036854775808' }],
      ['increment', 'n', { $bigint: '-9223372036854775809' }],
    ),
    [
      ok({ label: 'default', kind: 'Store' }),
      ok({ $bigint: '1' }),
      ok({ $bigint: '5' }),
      ok({ $bigint: '15' }),
      ok({ $bigint: '15' }),
      ok({ $bigint: '-5' }),
      ok({ $bigint: '-6' }),
      ok({ $bigint: '-3' }),
      typeError('increment: delta is an integer (a safe-integer number or a bigint), not 1.5'),
      typeError('increment: delta is an integer (a safe-integer number or a bigint), not 1'),
      { error: { name: 'RangeError', message: 'increment: delta 9223372036854775808 is outside the signed 64-bit range', keyValueError: false } },
      { error: { name: 'RangeError', message: 'increment: delta -9223372036854775809 is outside the signed 64-bit range', keyValueError: false } },
    ],
  );
  assert.deepEqual(calls.increments, [1n, 4n, 10n, 0n], 'only the non-negative deltas reach atomics.increment');
  assert.equal(calls.swaps, 3);
  assert.equal(stored('n'), '-6');
  assert.equal(stored('fresh'), '-3', 'a missing key counts from 0 on the compare-and-swap path too');
  assert.equal(wasiKv.state.casLive, 0);

  wasiKv.state.buckets.get('default').set('low', encoder.encode(String(-(2n ** 63n) + 1n)));
  const [, under] = await sdk(['openDefault'], ['increment', 'low', -2]);
  assert.deepEqual(under, error('StoreFailureError', 'other', 'increment "low" on store "default": the result is below the signed 64-bit range'));
  assert.equal(stored('low'), String(-(2n ** 63n) + 1n), 'nothing written');
});

test('increment with a negative delta retries a lost compare-and-swap and keeps the other writer\'s update', async () => {
  // Issue #9
  fresh();
  wasiKv.state.buckets.get('default').set('n', encoder.encode('100'));
  let races = 3;
  hooks.beforeSwap = (cas) => {
    if (races-- > 0) {
      cas.map.set(cas.key, encoder.encode(String(BigInt(new TextDecoder().decode(cas.map.get(cas.key))) + 1n)));
    }
  };
  assert.deepEqual((await sdk(['openDefault'], ['increment', 'n', -50]))[1], ok({ $bigint: '53' }));
  assert.equal(calls.swaps, 4);
  assert.equal(stored('n'), '53');
  assert.equal(wasiKv.state.casLive, 0);
});

test('batch: getMany answers a Map in request order, setMany takes pairs or an object, deleteMany', async () => {
  // Issue #9
  fresh();
  assert.deepEqual(
    await sdk(
      ['openDefault'],
      ['setMany', [['a', '1'], ['b', { $bytes: [2] }]]],
      ['setMany', { c: '3' }],
      ['getMany', ['c', 'missing', 'a', 'b']],
      ['deleteMany', ['a', 'missing']],
      ['getMany', ['a', 'b']],
      ['getMany', []],
    ),
    [
      ok({ label: 'default', kind: 'Store' }),
      ok(none),
      ok(none),
      ok([['c', bytes('3')], ['missing', none], ['a', bytes('1')], ['b', { $bytes: [2] }]]),
      ok(none),
      ok([['a', none], ['b', { $bytes: [2] }]]),
      ok([]),
    ],
  );
});

test('openSpin: the same calls over fermyon:spin/key-value@2.0.0', async () => {
  // Issue #9
  fresh();
  assert.deepEqual(
    await sdk(
      ['openSpin'],
      ['get', 'a'],
      ['set', 'a', 'x'],
      ['setJson', 'j', [1]],
      ['getJson', 'j'],
      ['exists', 'a'],
      ['keys'],
      ['keys', { prefix: 'j' }],
      ['delete', 'a'],
      ['getText', 'a'],
      ['close'],
      ['close'],
      ['get', 'j'],
    ),
    [
      ok({ label: 'default', kind: 'SpinStore' }),
      ok(none),
      ok(none),
      ok(none),
      ok([1]),
      ok(true),
      ok(['a', 'j']),
      ok(['j']),
      ok(none),
      ok(none),
      ok(none),
      ok(none),
      { error: { name: 'Error', message: 'get: store "default" is closed; open it again', keyValueError: false } },
    ],
  );
  assert.equal(kv2.state.live, 0, 'close dropped the store handle once');
  assert.deepEqual([...kv2.state.stores.get('default').keys()], ['j']);
  assert.deepEqual((await sdk(['openSpin', 'other']))[0], ok({ label: 'other', kind: 'SpinStore' }));
});

test('errors are KeyValueError subclasses carrying the WIT case, the operation and a message that says what to do', async () => {
  // Issue #9
  fresh({ labels: ['default'] });
  assert.deepEqual(await sdk(['open', 'secret'], ['openSpin', 'secret']), [
    error('AccessDeniedError', 'access-denied', 'open on store "secret": access denied; add "secret" to key_value_stores of this component in spin.toml'),
    error('AccessDeniedError', 'access-denied', 'open on store "secret": access denied; add "secret" to key_value_stores of this component in spin.toml'),
  ]);

  const storeOpen = kv2.Store.open;
  const bucketGet = wasiKv.Bucket.prototype.get;
  try {
    kv2.Store.open = () => {
      throw { tag: 'store-table-full' };
    };
    wasiKv.Bucket.prototype.get = () => {
      throw { tag: 'other', val: 'backend down' };
    };
    assert.deepEqual(await sdk(['openSpin']), [
      error('StoreTableFullError', 'store-table-full', 'open on store "default": too many stores open in this instance; close the stores you no longer use'),
    ]);
    assert.deepEqual(await sdk(['openDefault'], ['get', 'k'], ['getJson', 'k']), [
      ok({ label: 'default', kind: 'Store' }),
      error('StoreFailureError', 'other', 'get "k" on store "default": backend down', 'backend down'),
      error('StoreFailureError', 'other', 'getJson "k" on store "default": backend down', 'backend down'),
    ]);
  } finally {
    kv2.Store.open = storeOpen;
    wasiKv.Bucket.prototype.get = bucketGet;
  }

  hooks.open = () => {
    throw { tag: 'no-such-store' };
  };
  assert.deepEqual(await sdk(['open', 'gone']), [
    error('NoSuchStoreError', 'no-such-store', 'open on store "gone": no such store; define the label "gone" in the runtime config'),
  ]);
  hooks.open = undefined;

  assert.deepEqual(await sdk(['open', 5], ['openDefault'], ['get', 7], ['set', 'k', 12], ['set', 'k', null]), [
    typeError('open: a store label is a string, not number'),
    ok({ label: 'default', kind: 'Store' }),
    typeError('get: a key is a string, not number'),
    typeError('set: a value is a Uint8Array or a string, not number'),
    typeError('set: a value is a Uint8Array or a string, not null'),
  ]);
  assert.deepEqual(calls.traps, []);
});

test('variable answers the component variable, undefined for one it does not have, and VariableError for a bad name', async () => {
  // Issue #9
  fresh();
  variables.set('api_url', 'https://api.example.com');
  variables.set('empty', '');
  assert.deepEqual(
    await sdk(['variable', 'api_url'], ['variable', 'empty'], ['variable', 'missing'], ['variable', 'Bad-Name'], ['variable', 7]),
    [
      ok('https://api.example.com'),
      ok(''),
      ok(none),
      {
        error: {
          name: 'VariableError',
          case: 'invalid-name',
          message: 'variable "Bad-Name": \'Bad-Name\' is not a variable name; use lowercase letters, digits and single underscores, starting with a letter',
          detail: "'Bad-Name' is not a variable name",
          keyValueError: false,
          variableError: true,
          variable: 'Bad-Name',
        },
      },
      typeError('variable: a name is a string, not number'),
    ],
  );
});

