;; Imports scratch:x/y@0.2.3's `f: func(a: u32) -> u32` and exports `run: func(a: u32) -> u32`, which calls it.
;; A host serving scratch:x/y@0.2.12 (same minor before 1.0) links it; @0.3.0 or no host interface leaves it a stub.
(component
  (import "scratch:x/y@0.2.3" (instance $y
    (export "f" (func (param "a" u32) (result u32)))))
  (core module $m
    (import "host" "f" (func $f (param i32) (result i32)))
    (func (export "run") (param i32) (result i32) (call $f (local.get 0))))
  (core func $f (canon lower (func $y "f")))
  (core instance $host (export "f" (func $f)))
  (core instance $i (instantiate $m (with "host" (instance $host))))
  (func (export "run") (param "a" u32) (result u32) (canon lift (core func $i "run"))))
