;; handle-http-request returns a response record whose headers option has discriminant 7. Expectation: the
;; invocation fails with AbiViolation (Spin's host traps on an invalid discriminant too).
(module
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024))
  (func (export "handle-http-request") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
    (i32.store16 (i32.const 300) (i32.const 200))
    (i32.store8 (i32.const 304) (i32.const 7))
    (i32.const 300)))
