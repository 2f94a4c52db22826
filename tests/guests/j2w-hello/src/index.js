// The smallest Spin JS SDK v3-style app: a fetch-event handler that answers every request, calling nothing else.
addEventListener('fetch', (event) => {
  event.respondWith(new Response('hello from j2w\n', { headers: { 'content-type': 'text/plain; charset=utf-8' } }));
});
