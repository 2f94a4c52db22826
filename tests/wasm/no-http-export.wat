;; A module with memory and an allocator but no handle-http-request. Expectation: the component loads, reports
;; ExportsHttpHandler = false, and an HTTP invocation fails with MissingExport.
(module
  (memory (export "memory") 1)
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32) (i32.const 1024)))
