// @spindle/kv: key-value storage for JavaScript components served by Spindle (or Spin 3+), built with j2w.
//
// The interfaces come from this package's WIT (wit/, merged into the app's world by j2w through
// package.json's config.witDependencies); componentize-js links the `wasi:...` and `fermyon:...` imports below to
// the host. `open` works on wasi:keyvalue@0.2.0-draft2 buckets (store, atomics, batch); `openSpin` on
// fermyon:spin/key-value@2.0.0 stores. README.md lists the API and the componentize-js limits it works around.

import { Store as SpinKvStore } from 'fermyon:spin/key-value@2.0.0';
import { get as getVariable } from 'fermyon:spin/variables@2.0.0';
import { open as openBucket } from 'wasi:keyvalue/store@0.2.0-draft2';
import { increment as atomicIncrement, swap, Cas } from 'wasi:keyvalue/atomics@0.2.0-draft2';
import { getMany as batchGetMany, setMany as batchSetMany, deleteMany as batchDeleteMany } from 'wasi:keyvalue/batch@0.2.0-draft2';

// componentize-js closes a resource handle through this symbol (Symbol.dispose where the engine has it).
const dispose = Symbol.dispose ?? Symbol.for('dispose');

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const S64_MIN = -(2n ** 63n);
const S64_MAX = 2n ** 63n - 1n;

/** How many compare-and-swap rounds `increment` with a negative delta tries before it gives up (ConflictError). */
export const MAX_CAS_ATTEMPTS = 32;

// ---------------------------------------------------------------------------------------------------------------
// Errors

/**
 * A key-value call failed with the interface's error value. `case` is the WIT error case (`no-such-store`,
 * `access-denied`, `store-table-full`, `other`, or `cas-failed` for an increment that lost every race), `detail`
 * the text of `other(string)`, `operation` the call (`open`, `get`, ...).
 */
export class KeyValueError extends Error {
  constructor(kase, message, { operation, detail, label, key, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.case = kase;
    this.operation = operation;
    this.detail = detail;
    this.label = label;
    this.key = key;
  }
}

/** `no-such-store`: the label names no store the host knows. */
export class NoSuchStoreError extends KeyValueError {}
/** `access-denied`: the component may not use this store (its label is not in `key_value_stores`). */
export class AccessDeniedError extends KeyValueError {}
/** `store-table-full` (fermyon:spin@2.0.0 only): too many stores open in this instance. */
export class StoreTableFullError extends KeyValueError {}
/** `other(string)`: the backend failed (down, timeout, a size limit, a value `increment` cannot count). */
export class StoreFailureError extends KeyValueError {}
/** `cas-failed` on every one of MAX_CAS_ATTEMPTS rounds of a negative `increment`: other writers kept winning. */
export class ConflictError extends KeyValueError {}

const quoted = (text) => JSON.stringify(text);

// componentize-js throws an `err` result as a ComponentError whose `payload` is the error variant ({ tag, val }).
function payloadOf(e) {
  return e !== null && typeof e === 'object' && 'payload' in e && e.payload !== null && typeof e.payload?.tag === 'string'
    ? e.payload
    : undefined;
}

function fromVariant(variant, context, cause) {
  const { operation, label } = context;
  const where = `${operation}${context.key === undefined ? '' : ` ${quoted(context.key)}`} on store ${quoted(label)}`;
  const options = { ...context, cause };
  switch (variant.tag) {
    case 'no-such-store':
      return new NoSuchStoreError('no-such-store', `${where}: no such store; define the label ${quoted(label)} in the runtime config`, options);
    case 'access-denied':
      return new AccessDeniedError(
        'access-denied',
        `${where}: access denied; add ${quoted(label)} to key_value_stores of this component in spin.toml`,
        options,
      );
    case 'store-table-full':
      return new StoreTableFullError('store-table-full', `${where}: too many stores open in this instance; close the stores you no longer use`, options);
    case 'other':
      return new StoreFailureError('other', `${where}: ${variant.val}`, { ...options, detail: variant.val });
    default:
      return new KeyValueError(variant.tag, `${where}: ${variant.tag}${variant.val === undefined ? '' : ` ${variant.val}`}`, options);
  }
}

// Runs one import call; an `err` result becomes the KeyValueError subclass of its case, anything else escapes as is.
function call(context, fn) {
  try {
    return fn();
  } catch (e) {
    const variant = payloadOf(e);
    throw variant === undefined ? e : fromVariant(variant, context, e);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Variables

/**
 * A variable could not be read: `case` is the WIT error case (`invalid-name`, `provider` or `other`), `detail` the
 * host's message.
 */
export class VariableError extends Error {
  constructor(kase, message, { name, detail, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.case = kase;
    this.variable = name;
    this.detail = detail;
  }
}

/**
 * The value of the component's variable `name` (`[component.<id>.variables]` in spin.toml, resolved when the app
 * starts), or undefined when the component has no such variable.
 */
export function variable(name) {
  if (typeof name !== 'string') {
    throw new TypeError(`variable: a name is a string, not ${name === null ? 'null' : typeof name}`);
  }
  try {
    return getVariable(name);
  } catch (e) {
    const variant = payloadOf(e);
    if (variant === undefined) {
      throw e;
    }
    if (variant.tag === 'undefined') {
      return undefined;
    }
    const fix = variant.tag === 'invalid-name' ? '; use lowercase letters, digits and single underscores, starting with a letter' : '';
    throw new VariableError(variant.tag, `variable ${quoted(name)}: ${variant.val ?? variant.tag}${fix}`, { name, detail: variant.val, cause: e });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Values

function checkKey(operation, key) {
  if (typeof key !== 'string') {
    throw new TypeError(`${operation}: a key is a string, not ${key === null ? 'null' : typeof key}`);
  }
  return key;
}

function toBytes(operation, value) {
  if (value instanceof Uint8Array) {
    return value;
  }
  if (typeof value === 'string') {
    return encoder.encode(value);
  }
  if (ArrayBuffer.isView(value)) {
    return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  if (value instanceof ArrayBuffer) {
    return new Uint8Array(value);
  }
  throw new TypeError(`${operation}: a value is a Uint8Array or a string, not ${value === null ? 'null' : typeof value}`);
}

// componentize-js hands a `list<u8>` result over as a Uint8Array of its bindings' realm: ArrayBuffer.isView says yes,
// `instanceof Uint8Array` says no. Copy it into one of the app's realm, so that the app's own checks hold.
function local(bytes) {
  return bytes === undefined || bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
}

function parseJson(key, bytes) {
  const text = decoder.decode(bytes);
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SyntaxError(`getJson ${quoted(key)}: the value is not JSON (${e.message})`, { cause: e });
  }
}

function toJson(key, value) {
  const text = JSON.stringify(value);
  if (text === undefined) {
    throw new TypeError(`setJson ${quoted(key)}: ${typeof value} has no JSON form`);
  }
  return text;
}

function toDelta(delta) {
  let d;
  if (typeof delta === 'bigint') {
    d = delta;
  } else if (Number.isSafeInteger(delta)) {
    d = BigInt(delta);
  } else {
    throw new TypeError(`increment: delta is an integer (a safe-integer number or a bigint), not ${String(delta)}`);
  }
  if (d < S64_MIN || d > S64_MAX) {
    throw new RangeError(`increment: delta ${d} is outside the signed 64-bit range`);
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------------------
// Stores

// What the two store kinds share; `ops` holds the raw import calls of one open store.
class StoreBase {
  #ops;
  #label;
  #open = true;

  constructor(ops, label) {
    this.#ops = ops;
    this.#label = label;
  }

  /** The label the store was opened with. */
  get label() {
    return this.#label;
  }

  _call(operation, key, fn) {
    if (!this.#open) {
      throw new Error(`${operation}: store ${quoted(this.#label)} is closed; open it again`);
    }
    return call({ operation, label: this.#label, key }, () => fn(this.#ops));
  }

  /** The value of `key` as bytes, or `undefined` when the key does not exist. */
  get(key) {
    checkKey('get', key);
    return local(this._call('get', key, (ops) => ops.get(key)));
  }

  /** The value of `key` decoded as UTF-8, or `undefined`. */
  getText(key) {
    const bytes = this.get(key);
    return bytes === undefined ? undefined : decoder.decode(bytes);
  }

  /** The value of `key` parsed as JSON, or `undefined` when the key does not exist (SyntaxError if not JSON). */
  getJson(key) {
    checkKey('getJson', key);
    const bytes = this._call('getJson', key, (ops) => ops.get(key));
    return bytes === undefined ? undefined : parseJson(key, bytes);
  }

  /** Sets `key` to `value`: a Uint8Array (or other byte view) as is, a string as UTF-8. */
  set(key, value) {
    checkKey('set', key);
    const bytes = toBytes('set', value);
    this._call('set', key, (ops) => ops.set(key, bytes));
  }

  /** Sets `key` to `JSON.stringify(value)` in UTF-8. */
  setJson(key, value) {
    checkKey('setJson', key);
    const bytes = encoder.encode(toJson(key, value));
    this._call('setJson', key, (ops) => ops.set(key, bytes));
  }

  /** Deletes `key`; deleting a key that does not exist is not an error. */
  delete(key) {
    checkKey('delete', key);
    this._call('delete', key, (ops) => ops.delete(key));
  }

  /** Whether `key` exists. */
  exists(key) {
    checkKey('exists', key);
    return this._call('exists', key, (ops) => ops.exists(key));
  }

  /** Closes the store (drops its handle); later calls throw. Closing twice does nothing. */
  close() {
    if (this.#open) {
      this.#open = false;
      this.#ops.handle[dispose]();
    }
  }

  [dispose]() {
    this.close();
  }
}

/** A wasi:keyvalue@0.2.0-draft2 bucket. Made by `open(label)` or `openDefault()`. */
export class Store extends StoreBase {
  /**
   * Every key of the store, in the host's order, fetched page by page through `list-keys` as the iteration goes
   * (each page is one host call). With `prefix`, only the keys that start with it (filtered here: list-keys has no
   * prefix argument).
   */
  *keys({ prefix } = {}) {
    let cursor;
    do {
      const page = this._call('keys', undefined, (ops) => ops.handle.listKeys(cursor));
      for (const key of page.keys) {
        if (prefix === undefined || key.startsWith(prefix)) {
          yield key;
        }
      }
      if (page.cursor !== undefined && page.cursor === cursor) {
        throw new StoreFailureError('other', `keys on store ${quoted(this.label)}: the host returned cursor ${quoted(cursor)} twice`, {
          operation: 'keys',
          label: this.label,
        });
      }
      cursor = page.cursor;
    } while (cursor !== undefined);
  }

  /**
   * Adds `delta` (a safe-integer number or a bigint, default 1) to the counter at `key` and returns the new value as
   * a bigint. A missing key counts from 0; the value is stored as ASCII decimal (as Spindle's `increment` stores it).
   * delta >= 0 is one atomic `wasi:keyvalue/atomics.increment` call. A negative delta cannot be passed to that
   * import (componentize-js aborts the instance on a negative s64 argument), so it is done by compare-and-swap:
   * read the value, write value + delta if nothing changed meanwhile, else try again, at most MAX_CAS_ATTEMPTS
   * times (then ConflictError). Both ways no concurrent update is lost.
   */
  increment(key, delta = 1) {
    checkKey('increment', key);
    const d = toDelta(delta);
    if (d >= 0n) {
      return this._call('increment', key, (ops) => atomicIncrement(ops.handle, key, d));
    }
    return this.#addByCas(key, d);
  }

  #addByCas(key, delta) {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const cas = this._call('increment', key, (ops) => Cas.new(ops.handle, key));
      let next;
      try {
        const current = this._call('increment', key, () => cas.current());
        let value = 0n;
        if (current !== undefined) {
          const text = decoder.decode(current);
          if (!/^-?[0-9]+$/.test(text)) {
            throw new StoreFailureError('other', `increment ${quoted(key)} on store ${quoted(this.label)}: the value is not a decimal integer`, {
              operation: 'increment',
              label: this.label,
              key,
            });
          }
          value = BigInt(text);
        }
        next = value + delta;
        if (next < S64_MIN) {
          throw new StoreFailureError('other', `increment ${quoted(key)} on store ${quoted(this.label)}: the result is below the signed 64-bit range`, {
            operation: 'increment',
            label: this.label,
            key,
          });
        }
      } catch (e) {
        cas[dispose]();
        throw e;
      }
      // swap takes the handle; on cas-failed the host hands one back, which is dropped before the next round.
      try {
        swap(cas, encoder.encode(next.toString()));
        return next;
      } catch (e) {
        const variant = payloadOf(e);
        if (variant?.tag === 'cas-failed') {
          variant.val?.[dispose]?.();
          continue;
        }
        if (variant?.tag === 'store-error') {
          throw fromVariant(variant.val, { operation: 'increment', label: this.label, key }, e);
        }
        throw e;
      }
    }
    throw new ConflictError(
      'cas-failed',
      `increment ${quoted(key)} on store ${quoted(this.label)}: the key changed during each of ${MAX_CAS_ATTEMPTS} compare-and-swap attempts; retry later`,
      { operation: 'increment', label: this.label, key },
    );
  }

  /** The values of `keys` in one call, as a Map from key to bytes (or `undefined` for a missing key). */
  getMany(keys) {
    const list = [...keys].map((key) => checkKey('getMany', key));
    const pairs = this._call('getMany', undefined, (ops) => batchGetMany(ops.handle, list));
    return new Map(pairs.map(([key, value]) => [key, local(value)]));
  }

  /** Sets several keys in one call (not atomic): `entries` is an iterable of [key, value] or a plain object. */
  setMany(entries) {
    const source = entries !== null && typeof entries === 'object' && !(Symbol.iterator in entries) ? Object.entries(entries) : entries;
    const pairs = [...source].map(([key, value]) => [checkKey('setMany', key), toBytes('setMany', value)]);
    this._call('setMany', undefined, (ops) => batchSetMany(ops.handle, pairs));
  }

  /** Deletes several keys in one call (not atomic); missing keys are not an error. */
  deleteMany(keys) {
    const list = [...keys].map((key) => checkKey('deleteMany', key));
    this._call('deleteMany', undefined, (ops) => batchDeleteMany(ops.handle, list));
  }
}

/** A fermyon:spin/key-value@2.0.0 store (Spin 2's interface). Made by `openSpin(label)`. */
export class SpinStore extends StoreBase {
  /** Every key of the store (one `get-keys` call; that interface has no paging). */
  *keys({ prefix } = {}) {
    for (const key of this._call('keys', undefined, (ops) => ops.handle.getKeys())) {
      if (prefix === undefined || key.startsWith(prefix)) {
        yield key;
      }
    }
  }
}

function checkLabel(operation, label) {
  if (typeof label !== 'string') {
    throw new TypeError(`${operation}: a store label is a string, not ${label === null ? 'null' : typeof label}`);
  }
  return label;
}

function opsOf(handle) {
  return {
    handle,
    get: (key) => handle.get(key),
    set: (key, value) => handle.set(key, value),
    delete: (key) => handle.delete(key),
    exists: (key) => handle.exists(key),
  };
}

/** Opens the wasi:keyvalue bucket with this label (it must be in the component's `key_value_stores`). */
export function open(label) {
  checkLabel('open', label);
  const bucket = call({ operation: 'open', label }, () => openBucket(label));
  return new Store(opsOf(bucket), label);
}

/** Opens the store labelled `default`. */
export function openDefault() {
  return open('default');
}

/** Opens a fermyon:spin/key-value@2.0.0 store with this label. */
export function openSpin(label = 'default') {
  checkLabel('openSpin', label);
  const store = call({ operation: 'open', label }, () => SpinKvStore.open(label));
  return new SpinStore(opsOf(store), label);
}
