// An in-memory fermyon:spin/key-value@2.0.0 for the transpiled guests (jco's conventions: a resource is a class, an
// `err` result is a thrown value with the error variant as its payload, `none` is undefined).
export const state = { stores: new Map(), granted: new Set(), live: 0, opened: 0 };

export function reset(labels = ["default", "other"]) {
  state.stores = new Map(labels.map((label) => [label, new Map()]));
  state.granted = new Set(labels);
  state.live = 0;
  state.opened = 0;
}
reset();

export class Store {
  #map;
  #dropped = false;

  constructor(map) {
    this.#map = map;
    state.live++;
    state.opened++;
  }

  static open(label) {
    if (!state.granted.has(label)) throw { tag: "access-denied" };
    return new Store(state.stores.get(label));
  }

  get(key) {
    return this.#map.get(key);
  }

  set(key, value) {
    this.#map.set(key, new Uint8Array(value));
  }

  delete(key) {
    this.#map.delete(key);
  }

  exists(key) {
    return this.#map.has(key);
  }

  getKeys() {
    return [...this.#map.keys()];
  }

  // Called by jco when the guest drops its handle.
  [Symbol.dispose]() {
    if (this.#dropped) throw new Error("store dropped twice");
    this.#dropped = true;
    state.live--;
  }
}
