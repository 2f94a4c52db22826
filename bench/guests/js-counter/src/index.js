// js-counter: what examples/kv-counter does, as a Spin JavaScript app (built with j2w over @spindle/kv), so that
// bench/http/run.sh --js measures a JavaScript app's store calls against the native ASP.NET Core endpoint.
//   GET  /  -> "count: N\n" (0 while "count" is missing)
//   POST /  -> reads "count" (ASCII decimal), adds one, writes it back, answers "count: N\n"
// Like the C example and the native side, the get and the set are two calls, not one atomic step.
import { openDefault } from '@spindle/kv';

function count(store) {
  const text = store.getText('count');
  if (text === undefined) return 0;
  const value = Number.parseInt(text, 10);
  return Number.isSafeInteger(value) && value >= 0 ? value : 0;
}

async function handle(request) {
  const store = openDefault();
  let value = count(store);
  if (request.method === 'POST') {
    value += 1;
    store.set('count', String(value));
  } else if (request.method !== 'GET') {
    return new Response('method not allowed\n', { status: 405 });
  }
  return new Response(`count: ${value}\n`, { headers: { 'content-type': 'text/plain' } });
}

addEventListener('fetch', (event) => {
  event.respondWith(handle(event.request));
});
