// Runs examples/js-todo (built by j2w through scripts/build-js-guests.sh) without Spindle, the way
// `jco serve --isolate-requests instance` runs a wasi:http component (../hosts/wasi-http.mjs): a fresh instance per
// request over the in-memory key-value hosts of ../hosts (list-keys pages, decimal counters, compare-and-swap).
// Checks the app's routes (examples/js-todo/README.md) and, through them, @spindle/kv (sdk/js/README.md).
//
//   node --test tests/guests/js-todo/      (SPINDLE_GUEST_JS_TODO, or the script builds the component when needed)
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { calls, fresh, hooks, serve, stored, wasiKv } from '../hosts/wasi-http.mjs';

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const send = await serve('js-todo');

const without = (todo) => ({ id: todo.id, title: todo.title, done: todo.done });

test('list, add, toggle and delete round trip through the default store', async () => {
  // Issue #9
  fresh();
  assert.deepEqual((await send('GET', '/api/todos')).json, []);

  const one = await send('POST', '/api/todos', { title: '  buy milk ' });
  assert.equal(one.status, 201);
  assert.deepEqual(without(one.json), { id: 1, title: 'buy milk', done: false });
  assert.match(one.json.created, /^\d{4}-\d\d-\d\dT/);
  const two = await send('POST', '/api/todos', { title: 'write tests' });
  assert.deepEqual(without(two.json), { id: 2, title: 'write tests', done: false });

  assert.deepEqual((await send('GET', '/api/todos')).json.map(without), [
    { id: 1, title: 'buy milk', done: false },
    { id: 2, title: 'write tests', done: false },
  ]);
  assert.deepEqual((await send('GET', '/api/stats')).json, { total: 2, open: 2, done: 0 });

  const toggled = await send('POST', '/api/todos/1/toggle');
  assert.equal(toggled.status, 200);
  assert.deepEqual(without(toggled.json), { id: 1, title: 'buy milk', done: true });
  assert.deepEqual(without((await send('GET', '/api/todos/1')).json), { id: 1, title: 'buy milk', done: true });
  assert.deepEqual((await send('GET', '/api/stats')).json, { total: 2, open: 1, done: 1 });
  assert.deepEqual(without((await send('POST', '/api/todos/1/toggle')).json), { id: 1, title: 'buy milk', done: false });
  assert.deepEqual((await send('POST', '/api/todos/1/toggle')).json.done, true);

  const deleted = await send('DELETE', '/api/todos/2');
  assert.deepEqual([deleted.status, deleted.json], [200, { deleted: 2 }]);
  assert.equal((await send('DELETE', '/api/todos/2')).status, 404);
  assert.deepEqual((await send('GET', '/api/todos')).json.map(without), [{ id: 1, title: 'buy milk', done: true }]);
  assert.deepEqual((await send('GET', '/api/stats')).json, { total: 1, open: 0, done: 1 });

  // Ids keep counting after a delete; what the store holds is the README's layout.
  assert.equal((await send('POST', '/api/todos', { title: 'three' })).json.id, 3);
  assert.deepEqual([...wasiKv.state.buckets.get('default').keys()].sort(), ['meta:next-id', 'meta:open', 'todo:1', 'todo:3']);
  assert.equal(stored('meta:next-id'), '3');
  assert.equal(stored('meta:open'), '1');
  assert.deepEqual(without(JSON.parse(stored('todo:1'))), { id: 1, title: 'buy milk', done: true });
  assert.deepEqual(calls.traps, []);
  assert.equal(wasiKv.state.casLive, 0, 'every cas handle is dropped');
});

test('GET / serves the page from the component itself', async () => {
  // Issue #9
  fresh();
  const page = await send('GET', '/');
  assert.equal(page.status, 200);
  assert.equal(page.type, 'text/html; charset=utf-8');
  assert.match(page.text, /^<!doctype html>/);
  for (const needle of ['<form id="add">', "api('GET', '/api/todos')", "'/api/todos/' + todo.id + '/toggle'", "api('DELETE', '/api/todos/' + todo.id)", 'textContent = todo.title']) {
    assert.ok(page.text.includes(needle), `the page has ${needle}`);
  }
  const post = await send('POST', '/');
  assert.deepEqual([post.status, post.headers.get('allow')], [405, 'GET']);
});

test('each request is served by a fresh instance', async () => {
  // Issue #9
  fresh();
  for (let i = 0; i < 3; i++) {
    assert.equal((await send('GET', '/api/stats')).status, 200);
  }
  assert.equal(calls.instances, 3);
});

test('keys() follows list-keys over every page (3 keys a page, 12 keys)', async () => {
  // Issue #9
  fresh({ pageSize: 3 });
  for (let i = 1; i <= 10; i++) {
    assert.equal((await send('POST', '/api/todos', { title: `todo ${i}` })).status, 201);
  }
  calls.listKeys = [];
  const list = await send('GET', '/api/todos');
  assert.deepEqual(
    list.json.map((todo) => todo.id),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  // 12 keys (10 todos, meta:next-id, meta:open) in key order: 4 pages, each asked with the previous page's cursor.
  assert.deepEqual(calls.listKeys, [undefined, 'todo:1', 'todo:3', 'todo:6']);
  assert.deepEqual((await send('GET', '/api/stats')).json, { total: 10, open: 10, done: 0 });
});

test('getJson and setJson: todos are stored as JSON; a value that is not JSON is a clear 500', async () => {
  // Issue #9
  fresh();
  const todo = (await send('POST', '/api/todos', { title: 'ünïcode ✓ "quoted"' })).json;
  assert.deepEqual(JSON.parse(stored('todo:1')), todo);
  assert.equal(stored('todo:1'), JSON.stringify(todo));
  wasiKv.state.buckets.get('default').set('todo:7', encoder.encode('{not json'));
  const broken = await send('GET', '/api/todos/7');
  assert.equal(broken.status, 500);
  assert.match(broken.json.error, /^SyntaxError: getJson "todo:7": the value is not JSON/);
  assert.equal((await send('GET', '/api/todos/8')).status, 404);
});

test('increment: a positive delta is one atomics.increment call; a negative one goes by compare-and-swap', async () => {
  // Issue #9
  fresh();
  await send('POST', '/api/todos', { title: 'a' });
  assert.deepEqual(calls.increments, [1n, 1n], 'next-id and open, each +1');
  assert.equal(calls.swaps, 0);

  calls.increments = [];
  await send('POST', '/api/todos/1/toggle'); // open - 1
  assert.deepEqual(calls.increments, [], 'no negative s64 argument reaches the import (componentize-js would abort)');
  assert.equal(calls.swaps, 1);
  assert.equal(stored('meta:open'), '0');
  await send('POST', '/api/todos/1/toggle'); // open + 1
  assert.deepEqual(calls.increments, [1n]);
  assert.equal(stored('meta:open'), '1');

  // A writer that changes the counter between `current` and `swap`, twice: the SDK reads again and wins the third round.
  let races = 2;
  hooks.beforeSwap = (cas) => {
    if (races-- > 0) {
      const now = BigInt(decoder.decode(cas.map.get(cas.key)));
      cas.map.set(cas.key, encoder.encode(String(now + 10n)));
    }
  };
  calls.swaps = 0;
  await send('DELETE', '/api/todos/1'); // an open todo: open - 1
  assert.equal(calls.swaps, 3);
  assert.equal(stored('meta:open'), '20', '1, +10 and +10 by the other writer, then -1');
  assert.equal(wasiKv.state.casLive, 0, 'the handles of the lost rounds are dropped');
  assert.deepEqual(calls.traps, []);
});

test('increment: a compare-and-swap that loses every round gives up with case cas-failed', async () => {
  // Issue #9
  fresh();
  await send('POST', '/api/todos', { title: 'a' });
  hooks.beforeSwap = (cas) => cas.map.set(cas.key, encoder.encode(String(BigInt(decoder.decode(cas.map.get(cas.key))) + 1n)));
  calls.swaps = 0;
  const lost = await send('POST', '/api/todos/1/toggle');
  assert.equal(lost.status, 500);
  assert.equal(lost.json.case, 'cas-failed');
  assert.match(lost.json.error, /^increment "meta:open" on store "default": the key changed during each of 32 compare-and-swap attempts; retry later$/);
  assert.equal(calls.swaps, 32);
  assert.equal(wasiKv.state.casLive, 0);
});

test('key-value errors reach the app as KeyValueError subclasses with the WIT case', async () => {
  // Issue #9
  fresh({ labels: ['other'] });
  const denied = await send('GET', '/api/todos');
  assert.equal(denied.status, 500);
  assert.deepEqual(denied.json, {
    error: 'open on store "default": access denied; add "default" to key_value_stores of this component in spin.toml',
    case: 'access-denied',
  });

  fresh();
  await send('POST', '/api/todos', { title: 'a' });
  wasiKv.state.buckets.get('default').set('meta:open', encoder.encode('many'));
  const notCounter = await send('POST', '/api/todos/1/toggle');
  assert.deepEqual(notCounter.json, { error: 'increment "meta:open" on store "default": the value is not a decimal integer', case: 'other' });
  const viaHost = await send('POST', '/api/todos', { title: 'b' });
  assert.deepEqual(viaHost.json, { error: 'increment "meta:open" on store "default": increment: the value is not a decimal integer', case: 'other' });
  assert.deepEqual(calls.traps, []);
});

test('bad requests, unknown todos and routes, wrong methods', async () => {
  // Issue #9
  fresh();
  const cases = [
    ['POST', '/api/todos', '{"title": 5}', 400, { error: 'missing "title": send {"title": "..."} with a non-empty string' }],
    ['POST', '/api/todos', '{"title": "   "}', 400, { error: 'missing "title": send {"title": "..."} with a non-empty string' }],
    ['POST', '/api/todos', 'not json', 400, { error: 'the body is not JSON; send {"title": "..."}' }],
    ['POST', '/api/todos', { title: 'x'.repeat(501) }, 400, { error: '"title" is longer than 500 characters' }],
    ['GET', '/api/todos/1', undefined, 404, { error: 'no todo 1' }],
    ['GET', '/api/todos/abc', undefined, 404, { error: 'no todo abc' }],
    ['POST', '/api/todos/0/toggle', undefined, 404, { error: 'no todo 0' }],
    ['GET', '/nope', undefined, 404, { error: 'no route /nope' }],
  ];
  for (const [method, path, body, status, json] of cases) {
    const response = await send(method, path, body);
    assert.deepEqual([response.status, response.json], [status, json], `${method} ${path}`);
  }
  const put = await send('PUT', '/api/todos');
  assert.deepEqual([put.status, put.headers.get('allow')], [405, 'GET, POST']);
  assert.deepEqual([(await send('GET', '/api/todos/1/toggle')).status, (await send('PATCH', '/api/todos/1')).status], [405, 405]);
  assert.deepEqual([...wasiKv.state.buckets.get('default').keys()], [], 'nothing was written');
});
