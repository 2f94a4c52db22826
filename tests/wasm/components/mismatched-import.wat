;; Imports scratch:calc/math@1.0.0's `add` as func(a: u32, b: u64) -> u32; the test's host defines
;; func(a: u32, b: u32) -> u32, so loading fails naming the interface, the function and both types.
(component
  (import "scratch:calc/math@1.0.0" (instance $math
    (export "add" (func (param "a" u32) (param "b" u64) (result u32)))))
  (core module $m (import "math" "add" (func (param i32 i64) (result i32))))
  (core func $add (canon lower (func $math "add")))
  (core instance (instantiate $m (with "math" (instance (export "add" (func $add)))))))
