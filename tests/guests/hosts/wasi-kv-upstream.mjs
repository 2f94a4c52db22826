// wasi:keyvalue/batch in the upstream text of draft2: get-many answers `none` (undefined) for a missing key.
export { setMany, deleteMany } from "./wasi-kv.mjs";

export function getMany(bucket, keys) {
  return keys.map((key) => (bucket.map.has(key) ? [key, bucket.map.get(key)] : undefined));
}
