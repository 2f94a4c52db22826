;; A module whose memory starts at 3 pages (196608 bytes). Expectation: it loads when the memory limit is at least
;; 196608 bytes, and is refused with MemoryLimitException below that.
(module
  (memory (export "memory") 3)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "answer") (result i32) (i32.const 3)))
