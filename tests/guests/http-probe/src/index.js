// http-probe: a fetch-event app built with j2w (as Spin JS SDK v3 apps are) for the wasi:http tests of Spindle's
// trigger. Every route and its exact answer is in ../README.md.
const encoder = new TextEncoder();

function text(body, status = 200, headers = {}) {
  return new Response(body, { status, headers: { 'content-type': 'text/plain; charset=utf-8', ...headers } });
}

async function handle(request) {
  const url = new URL(request.url);
  const params = url.searchParams;
  switch (url.pathname) {
    case '/echo': {
      // The method, the path and query, one line per header in the order received, a blank line, then the body.
      let out = `${request.method}\n${url.pathname}${url.search}\n`;
      for (const [name, value] of request.headers) {
        out += `${name}: ${value}\n`;
      }
      const body = new Uint8Array(await request.arrayBuffer());
      const head = encoder.encode(out + '\n');
      const all = new Uint8Array(head.length + body.length);
      all.set(head, 0);
      all.set(body, head.length);
      return new Response(all, { headers: { 'content-type': 'application/octet-stream' } });
    }
    case '/echo-body':
      return new Response(new Uint8Array(await request.arrayBuffer()), { headers: { 'content-type': 'application/octet-stream' } });
    case '/status':
      return text('ok', Number(params.get('code') ?? '200'));
    case '/headers': {
      const headers = new Headers({ 'content-type': 'text/plain' });
      headers.append('x-multi', 'one');
      headers.append('x-multi', 'two');
      headers.set('x-single', 'value');
      return new Response('headers', { headers });
    }
    case '/stream': {
      // n chunks, each written by the guest as its own piece of the body, in order.
      const n = Number(params.get('n') ?? '10');
      let i = 0;
      const stream = new ReadableStream({
        async pull(controller) {
          if (i >= n) {
            controller.close();
            return;
          }
          controller.enqueue(encoder.encode(`chunk ${i}\n`));
          i++;
        },
      });
      return new Response(stream, { headers: { 'content-type': 'text/plain' } });
    }
    case '/fail-mid-body': {
      // Three chunks, then the stream errors: the client must see a cut-off response, not a complete one.
      let i = 0;
      const stream = new ReadableStream({
        pull(controller) {
          if (i < 3) {
            controller.enqueue(encoder.encode(`chunk ${i}\n`));
            i++;
            return;
          }
          controller.error(new Error('failed mid-body'));
        },
      });
      return new Response(stream);
    }
    case '/loop-mid-body': {
      // Three chunks, then an endless loop: the host's deadline traps the instance with the response started.
      let i = 0;
      const stream = new ReadableStream({
        pull(controller) {
          if (i < 3) {
            controller.enqueue(encoder.encode(`chunk ${i}\n`));
            i++;
            return;
          }
          for (;;) {}
        },
      });
      return new Response(stream);
    }
    case '/fetch': {
      // An outbound request to ?url=...: the answer says whether it was made or how it failed.
      try {
        const response = await fetch(params.get('url'));
        return text(`fetched:${response.status}`);
      } catch (error) {
        return text(`failed:${error}`);
      }
    }
    case '/proxy': {
      // Forwards the request (method, content-type, body) to ?url=... and answers with the upstream status, its
      // x-upstream header and its body, streamed as it arrives.
      const init = {
        method: request.method,
        headers: { 'content-type': request.headers.get('content-type') ?? 'application/octet-stream', 'x-probe': 'proxied' },
      };
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        init.body = new Uint8Array(await request.arrayBuffer());
      }
      try {
        const upstream = await fetch(params.get('url'), init);
        return new Response(upstream.body, {
          status: upstream.status,
          headers: { 'x-upstream-status': String(upstream.status), 'x-upstream': upstream.headers.get('x-upstream') ?? '' },
        });
      } catch (error) {
        return text(`failed:${error}`, 502);
      }
    }
    case '/throw':
      throw new Error('thrown by /throw');
    default:
      return text(`not-found:${url.pathname}`, 404);
  }
}

addEventListener('fetch', (event) => {
  event.respondWith(handle(event.request));
});
