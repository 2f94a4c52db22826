// An in-memory wasi:keyvalue@0.2.0-draft2 (store, atomics, batch) for the transpiled guests. list-keys pages
// `state.pageSize` keys at a time in key order, the cursor being the last key of the page.
export const state = { buckets: new Map(), granted: new Set(), live: 0, casLive: 0, pageSize: 3 };

export function reset(labels = ["default", "other"], pageSize = 3) {
  state.buckets = new Map(labels.map((label) => [label, new Map()]));
  state.granted = new Set(labels);
  state.live = 0;
  state.casLive = 0;
  state.pageSize = pageSize;
}
reset();

const decoder = new TextDecoder();
const encoder = new TextEncoder();
const other = (message) => ({ tag: "other", val: message });

export class Bucket {
  constructor(map) {
    this.map = map;
    state.live++;
  }

  get(key) {
    return this.map.get(key);
  }

  set(key, value) {
    this.map.set(key, new Uint8Array(value));
  }

  delete(key) {
    this.map.delete(key);
  }

  exists(key) {
    return this.map.has(key);
  }

  listKeys(cursor) {
    const keys = [...this.map.keys()].sort();
    const start = cursor === undefined ? 0 : keys.findIndex((k) => k > cursor);
    const page = start < 0 ? [] : keys.slice(start, start + state.pageSize);
    const more = start >= 0 && start + state.pageSize < keys.length;
    return { keys: page, cursor: more ? page[page.length - 1] : undefined };
  }

  [Symbol.dispose]() {
    state.live--;
  }
}

export function open(identifier) {
  if (!state.granted.has(identifier)) throw { tag: "access-denied" };
  return new Bucket(state.buckets.get(identifier));
}

export function increment(bucket, key, delta) {
  const old = bucket.map.get(key);
  let n = 0n;
  if (old !== undefined) {
    const text = decoder.decode(old);
    if (!/^-?[0-9]+$/.test(text)) throw other("increment: the value is not a decimal integer");
    n = BigInt(text);
  }
  n += delta;
  if (n < -(2n ** 63n) || n >= 2n ** 63n) throw other("increment: overflow");
  bucket.map.set(key, encoder.encode(n.toString()));
  return n;
}

export class Cas {
  constructor(map, key) {
    this.map = map;
    this.key = key;
    this.seen = map.get(key);
    state.casLive++;
  }

  static new(bucket, key) {
    return new Cas(bucket.map, key);
  }

  current() {
    return this.seen;
  }

  [Symbol.dispose]() {
    state.casLive--;
  }
}

// Values are replaced, never mutated, so identity tells whether the key changed since cas.new.
export function swap(cas, value) {
  const unchanged = cas.map.get(cas.key) === cas.seen;
  cas[Symbol.dispose]();
  if (!unchanged) throw { tag: "cas-failed", val: new Cas(cas.map, cas.key) };
  cas.map.set(cas.key, new Uint8Array(value));
}

export function getMany(bucket, keys) {
  return keys.map((key) => [key, bucket.map.get(key)]);
}

export function setMany(bucket, keyValues) {
  for (const [key, value] of keyValues) bucket.map.set(key, new Uint8Array(value));
}

export function deleteMany(bucket, keys) {
  for (const key of keys) bucket.map.delete(key);
}
