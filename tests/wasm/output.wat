;; Writes guest-chosen bytes to stdout or stderr through WASI fd_write, so a test controls how output is split
;; across writes. write(fd, ptr, len, times) calls fd_write(fd, [ptr, len]) `times` times and returns the first
;; non-zero errno (0 when every write succeeded). Bytes 0..15 hold the iovec and the written count; a test puts
;; its data at 1024 or above. Expectation: each call reaches the host's stdout/stderr callback as one write.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "write") (param $fd i32) (param $ptr i32) (param $len i32) (param $times i32) (result i32)
    (local $errno i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $times)))
        (local.set $errno (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8)))
        (br_if $done (local.get $errno))
        (local.set $times (i32.sub (local.get $times) (i32.const 1)))
        (br $next)))
    (local.get $errno)))
