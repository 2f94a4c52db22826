;; Exports answer() = 1. Expectation: with answer-2.wat it forms a pair of modules whose compiled code
;; differs, so a test can tell which module's code a cache entry holds.
(module
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "answer") (result i32) (i32.const 1)))
