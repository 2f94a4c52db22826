// js-todo: a todo list in the default key-value store, as a Spin JavaScript (fetch-event) app built with j2w.
// The component serves its own page (GET /) and a JSON API under /api/todos; README.md lists the routes.
//
// Store layout: `todo:<id>` holds {"id","title","done","created"} as JSON; `meta:next-id` counts ids (increment);
// `meta:open` counts the todos not done (increment by +1/-1: -1 goes through @spindle/kv's compare-and-swap path).

import { openDefault, KeyValueError } from '@spindle/kv';
import { page } from './page.js';

const PREFIX = 'todo:';
const NEXT_ID = 'meta:next-id';
const OPEN = 'meta:open';
const MAX_TITLE = 500;

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

const json = (status, value) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

function todoKey(idText) {
  if (!/^[1-9][0-9]{0,15}$/.test(idText)) {
    throw new HttpError(404, `no todo ${idText}`);
  }
  return PREFIX + idText;
}

async function readTitle(request) {
  let body;
  try {
    body = await request.json();
  } catch {
    throw new HttpError(400, 'the body is not JSON; send {"title": "..."}');
  }
  const title = typeof body?.title === 'string' ? body.title.trim() : '';
  if (title === '') {
    throw new HttpError(400, 'missing "title": send {"title": "..."} with a non-empty string');
  }
  if (title.length > MAX_TITLE) {
    throw new HttpError(400, `"title" is longer than ${MAX_TITLE} characters`);
  }
  return title;
}

// Every todo, oldest first. keys() pages through list-keys; getMany reads the values in one call.
function list(store) {
  const keys = [...store.keys({ prefix: PREFIX })];
  const values = store.getMany(keys);
  const todos = [];
  for (const [, bytes] of values) {
    if (bytes !== undefined) {
      todos.push(JSON.parse(new TextDecoder().decode(bytes)));
    }
  }
  return todos.sort((a, b) => a.id - b.id);
}

function add(store, title) {
  const id = Number(store.increment(NEXT_ID, 1));
  const todo = { id, title, done: false, created: new Date().toISOString() };
  store.setJson(PREFIX + id, todo);
  store.increment(OPEN, 1);
  return todo;
}

function toggle(store, key) {
  const todo = store.getJson(key);
  if (todo === undefined) {
    throw new HttpError(404, `no todo ${key.slice(PREFIX.length)}`);
  }
  todo.done = !todo.done;
  store.setJson(key, todo);
  store.increment(OPEN, todo.done ? -1 : 1);
  return todo;
}

function remove(store, key) {
  const todo = store.getJson(key);
  if (todo === undefined) {
    throw new HttpError(404, `no todo ${key.slice(PREFIX.length)}`);
  }
  store.delete(key);
  if (!todo.done) {
    store.increment(OPEN, -1);
  }
}

function stats(store) {
  const total = [...store.keys({ prefix: PREFIX })].length;
  const open = Number(store.increment(OPEN, 0));
  return { total, open, done: total - open };
}

function methodNotAllowed(allow) {
  return new Response(`method not allowed; use ${allow}\n`, { status: 405, headers: { allow, 'content-type': 'text/plain; charset=utf-8' } });
}

async function route(request) {
  const path = new URL(request.url).pathname;
  const method = request.method;
  if (path === '/') {
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed('GET');
    return new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } });
  }
  if (path === '/api/todos') {
    if (method === 'GET') return json(200, list(openDefault()));
    if (method === 'POST') {
      const title = await readTitle(request);
      return json(201, add(openDefault(), title));
    }
    return methodNotAllowed('GET, POST');
  }
  if (path === '/api/stats') {
    if (method !== 'GET') return methodNotAllowed('GET');
    return json(200, stats(openDefault()));
  }
  let match = /^\/api\/todos\/([^/]+)\/toggle$/.exec(path);
  if (match) {
    if (method !== 'POST') return methodNotAllowed('POST');
    return json(200, toggle(openDefault(), todoKey(match[1])));
  }
  match = /^\/api\/todos\/([^/]+)$/.exec(path);
  if (match) {
    const key = todoKey(match[1]);
    if (method === 'GET') {
      const todo = openDefault().getJson(key);
      if (todo === undefined) throw new HttpError(404, `no todo ${match[1]}`);
      return json(200, todo);
    }
    if (method === 'DELETE') {
      remove(openDefault(), key);
      return json(200, { deleted: Number(match[1]) });
    }
    return methodNotAllowed('GET, DELETE');
  }
  throw new HttpError(404, `no route ${path}`);
}

async function handle(request) {
  try {
    return await route(request);
  } catch (e) {
    if (e instanceof HttpError) return json(e.status, { error: e.message });
    if (e instanceof KeyValueError) return json(500, { error: e.message, case: e.case });
    return json(500, { error: `${e?.name ?? 'Error'}: ${e?.message ?? String(e)}` });
  }
}

addEventListener('fetch', (event) => {
  event.respondWith(handle(event.request));
});
