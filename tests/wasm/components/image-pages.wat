;; A core module whose memory image puts each 4 KiB page's number (1-15) in its first four bytes, and exports
;; `touch: func(page: u32) -> u32`, which returns that number and adds 1000 to it in memory, and `read`, which only
;; returns it. For the tests of the component working set (tests/Spindle.Components.Tests/WorkingSetTests.cs): the
;; pages earlier instances wrote are populated before a new instance runs, and every instance still sees the image.
(component
  (core module $m
    (memory (export "memory") 1)
    (data (i32.const 4096) "\01\00\00\00")
    (data (i32.const 8192) "\02\00\00\00")
    (data (i32.const 12288) "\03\00\00\00")
    (data (i32.const 16384) "\04\00\00\00")
    (data (i32.const 20480) "\05\00\00\00")
    (data (i32.const 24576) "\06\00\00\00")
    (data (i32.const 28672) "\07\00\00\00")
    (data (i32.const 32768) "\08\00\00\00")
    (data (i32.const 36864) "\09\00\00\00")
    (data (i32.const 40960) "\0a\00\00\00")
    (data (i32.const 45056) "\0b\00\00\00")
    (data (i32.const 49152) "\0c\00\00\00")
    (data (i32.const 53248) "\0d\00\00\00")
    (data (i32.const 57344) "\0e\00\00\00")
    (data (i32.const 61440) "\0f\00\00\00")
    (func (export "touch") (param i32) (result i32) (local $at i32) (local $value i32)
      (local.set $at (i32.shl (local.get 0) (i32.const 12)))
      (local.set $value (i32.load (local.get $at)))
      (i32.store (local.get $at) (i32.add (local.get $value) (i32.const 1000)))
      (local.get $value))
    (func (export "read") (param i32) (result i32)
      (i32.load (i32.shl (local.get 0) (i32.const 12)))))
  (core instance $i (instantiate $m))
  (alias core export $i "memory" (core memory $memory))
  (func (export "touch") (param "page" u32) (result u32) (canon lift (core func $i "touch") (memory $memory)))
  (func (export "read") (param "page" u32) (result u32) (canon lift (core func $i "read") (memory $memory))))
