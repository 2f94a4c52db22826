// A test guest for @spindle/kv (sdk/js): POST /sdk runs a list of SDK calls given as JSON and answers each call's
// result or error, so tests/guests/js-sdk/sdk.test.mjs can check every function of the module without an app around it.
// Built the way examples/js-todo is (esbuild, then j2w) by scripts/build-js-guests.sh.
//
// Body: {"ops": [["open", "default"], ["set", "k", "text"], ["get", "k"], ...]}. "open", "openDefault" and
// "openSpin" make the store the following calls use; "variable" calls kv.variable; any other name is a method of that
// store. Arguments and results cross as JSON, with {"$bytes": [..]} for a Uint8Array, {"$bigint": ".."} for a bigint
// and {"$undefined": true} for undefined. An error answers {"error": {"name", "case", "message", "detail",
// "keyValueError"}} (plus "variableError" and "variable" for a VariableError) in place of {"ok": result}; the next
// call still runs.
import * as kv from '@spindle/kv';

function decode(value) {
  if (Array.isArray(value)) return value.map(decode);
  if (value !== null && typeof value === 'object') {
    if ('$bytes' in value) return Uint8Array.from(value.$bytes);
    if ('$bigint' in value) return BigInt(value.$bigint);
    if ('$undefined' in value) return undefined;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decode(v)]));
  }
  return value;
}

function encode(value) {
  if (value === undefined) return { $undefined: true };
  if (typeof value === 'bigint') return { $bigint: value.toString() };
  if (value instanceof Uint8Array) return { $bytes: [...value] };
  if (value instanceof Map) return [...value].map(([k, v]) => [k, encode(v)]);
  if (Array.isArray(value)) return value.map(encode);
  if (value !== null && typeof value === 'object') {
    if (typeof value[Symbol.iterator] === 'function') return [...value].map(encode);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, encode(v)]));
  }
  return value;
}

function describe(e) {
  return {
    name: e?.name,
    case: e?.case,
    message: e?.message,
    detail: e?.detail,
    keyValueError: e instanceof kv.KeyValueError,
    ...(e instanceof kv.VariableError ? { variableError: true, variable: e.variable } : {}),
  };
}

function runOps(ops) {
  let store;
  const results = [];
  for (const [name, ...rawArgs] of ops) {
    const args = decode(rawArgs);
    try {
      let result;
      if (name === 'open' || name === 'openDefault' || name === 'openSpin') {
        store = kv[name](...args);
        result = { label: store.label, kind: store instanceof kv.SpinStore ? 'SpinStore' : store instanceof kv.Store ? 'Store' : 'other' };
      } else if (name === 'variable') {
        result = kv.variable(...args);
      } else if (name === 'keys') {
        result = [...store.keys(...args)];
      } else {
        result = store[name](...args);
      }
      results.push({ ok: encode(result) });
    } catch (e) {
      results.push({ error: describe(e) });
    }
  }
  return results;
}

addEventListener('fetch', (event) => {
  event.respondWith(
    (async () => {
      const { ops } = await event.request.json();
      return new Response(JSON.stringify(runOps(ops)), { headers: { 'content-type': 'application/json' } });
    })(),
  );
});
