;; Re-exports each import of the v1 `key-value` module as a function that passes its raw i32 arguments straight
;; through, so a host test chooses every pointer, length and handle (tests/Spindle.Host.Tests/KeyValueAbiFuzzTests.cs).
;; Memory: bytes 0..32767 are the test's to write (data and result areas); the allocator hands out 32768 and up,
;; growing memory as needed, and reset() frees everything it handed out. set_allocator(mode) makes the allocator
;; misbehave: 0 normal, 1 return an address outside memory, 2 trap.
;; Expectation: a call with valid arguments behaves as the import does; any other call traps only its instance.
(module
  (import "key-value" "open" (func $open (param i32 i32 i32)))
  (import "key-value" "get" (func $get (param i32 i32 i32 i32)))
  (import "key-value" "set" (func $set (param i32 i32 i32 i32 i32 i32)))
  (import "key-value" "delete" (func $delete (param i32 i32 i32 i32)))
  (import "key-value" "exists" (func $exists (param i32 i32 i32 i32)))
  (import "key-value" "get-keys" (func $get_keys (param i32 i32)))
  (import "key-value" "close" (func $close (param i32)))
  (memory (export "memory") 1)
  (global $heap_base i32 (i32.const 32768))
  (global $next (mut i32) (i32.const 32768))
  (global $mode (mut i32) (i32.const 0))

  (func (export "open") (param i32 i32 i32) (call $open (local.get 0) (local.get 1) (local.get 2)))
  (func (export "get") (param i32 i32 i32 i32) (call $get (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "set") (param i32 i32 i32 i32 i32 i32)
    (call $set (local.get 0) (local.get 1) (local.get 2) (local.get 3) (local.get 4) (local.get 5)))
  (func (export "delete") (param i32 i32 i32 i32) (call $delete (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "exists") (param i32 i32 i32 i32) (call $exists (local.get 0) (local.get 1) (local.get 2) (local.get 3)))
  (func (export "get_keys") (param i32 i32) (call $get_keys (local.get 0) (local.get 1)))
  (func (export "close") (param i32) (call $close (local.get 0)))

  (func (export "reset") (global.set $next (global.get $heap_base)))
  (func (export "set_allocator") (param i32) (global.set $mode (local.get 0)))

  ;; (old_ptr, old_size, align, new_size) -> ptr; a bump allocator (the host only ever asks for fresh blocks).
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $ptr i32) (local $end i32)
    (if (i32.eq (global.get $mode) (i32.const 1)) (then (return (i32.const -16))))
    (if (i32.eq (global.get $mode) (i32.const 2)) (then unreachable))
    ;; align up (align is a power of two, at least 1)
    (local.set $ptr (i32.and
      (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get 2))))
    (local.set $end (i32.add (local.get $ptr) (local.get 3)))
    (if (i32.gt_u (local.get $end) (i32.mul (memory.size) (i32.const 65536)))
      (then
        (if (i32.eq (i32.const -1)
              (memory.grow (i32.sub
                (i32.shr_u (i32.add (local.get $end) (i32.const 65535)) (i32.const 16))
                (memory.size))))
          (then unreachable))))
    (global.set $next (local.get $end))
    (local.get $ptr))

  (func (export "canonical_abi_free") (param i32 i32 i32)))
