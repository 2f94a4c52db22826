;; Lowers an imported synchronous function with the async option: Spindle refuses it at load, naming the import.
;; (The validator of jco 1.35's wasm-tools also refuses this shape, wanting an async function type; Spindle's check of
;; the option must hold on its own.)
(component
  (import "scratch:async/tick" (instance $tick
    (export "tick" (func))))
  (core module $m (import "tick" "tick" (func (result i32))))
  (core func $tick (canon lower (func $tick "tick") async))
  (core instance (instantiate $m (with "tick" (instance (export "tick" (func $tick)))))))
