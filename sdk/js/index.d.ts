// Types of @spindle/kv (index.js); README.md describes each function.

/** A value `set` accepts: bytes as they are, or a string stored as UTF-8. */
export type Value = Uint8Array | ArrayBufferView | ArrayBuffer | string;

/** How many compare-and-swap rounds a negative `increment` tries before it throws ConflictError. */
export const MAX_CAS_ATTEMPTS: number;

/** The WIT error cases (plus `cas-failed` for an increment that lost every compare-and-swap round). */
export type ErrorCase = 'no-such-store' | 'access-denied' | 'store-table-full' | 'other' | 'cas-failed';

export class KeyValueError extends Error {
  /** The WIT error case. */
  readonly case: ErrorCase;
  /** The call that failed: `open`, `get`, `set`, `getJson`, `increment`, `keys`, ... */
  readonly operation: string;
  /** The text of `other(string)`. */
  readonly detail?: string;
  readonly label?: string;
  readonly key?: string;
}
export class NoSuchStoreError extends KeyValueError {}
export class AccessDeniedError extends KeyValueError {}
export class StoreTableFullError extends KeyValueError {}
export class StoreFailureError extends KeyValueError {}
export class ConflictError extends KeyValueError {}

declare class StoreBase {
  /** The label the store was opened with. */
  readonly label: string;
  get(key: string): Uint8Array | undefined;
  getText(key: string): string | undefined;
  getJson<T = unknown>(key: string): T | undefined;
  set(key: string, value: Value): void;
  setJson(key: string, value: unknown): void;
  delete(key: string): void;
  exists(key: string): boolean;
  keys(options?: { prefix?: string }): Generator<string, void, undefined>;
  close(): void;
}

/** A wasi:keyvalue@0.2.0-draft2 bucket. */
export class Store extends StoreBase {
  /** Adds `delta` (default 1) and returns the new value; a negative delta goes by compare-and-swap. */
  increment(key: string, delta?: number | bigint): bigint;
  getMany(keys: Iterable<string>): Map<string, Uint8Array | undefined>;
  setMany(entries: Iterable<readonly [string, Value]> | Record<string, Value>): void;
  deleteMany(keys: Iterable<string>): void;
}

/** A fermyon:spin/key-value@2.0.0 store. */
export class SpinStore extends StoreBase {}

export function open(label: string): Store;
export function openDefault(): Store;
export function openSpin(label?: string): SpinStore;

/** A variable could not be read. */
export class VariableError extends Error {
  readonly case: 'invalid-name' | 'provider' | 'other';
  readonly variable: string;
  readonly detail?: string;
}

/**
 * The value of the component's variable `name` (`[component.<id>.variables]` in spin.toml), or undefined when the
 * component has no such variable.
 * @throws {VariableError} the name breaks Spin's naming rule, or the host could not resolve it.
 */
export function variable(name: string): string | undefined;

