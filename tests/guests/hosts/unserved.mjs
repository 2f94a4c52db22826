// spindle:test/unserved: the interface no host defines; calling it is a trap, as a host's stub for an unknown import.
export function get(name) {
  throw new Error(`unknown import called: spindle:test/unserved.get(${name})`);
}
