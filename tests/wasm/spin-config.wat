;; A Spin 1.x-style HTTP module that reads its variables through spin-config.get-config: the request path without
;; its leading '/' is the key. It answers 200 with the value, or 400 + the error case (400 provider, 401 invalid-key,
;; 402 invalid-schema, 403 other) with the message as the body.
(module
  (import "spin-config" "get-config" (func $get_config (param i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 4096))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (i32.add (local.get 3) (i32.const 8))))
    (local.get $p))
  (func (export "canonical_abi_free") (param i32 i32 i32))
  (func (export "handle-http-request")
    (param $method i32) (param $uri i32) (param $uri_len i32) (param i32 i32 i32 i32 i32 i32 i32) (result i32)
    ;; result of get-config at 16; response record at 300: status, no headers, body
    (call $get_config (i32.add (local.get $uri) (i32.const 1)) (i32.sub (local.get $uri_len) (i32.const 1)) (i32.const 16))
    (i32.store8 (i32.const 304) (i32.const 0))
    (i32.store8 (i32.const 316) (i32.const 1))
    (if (i32.eqz (i32.load8_u (i32.const 16)))
      (then
        (i32.store16 (i32.const 300) (i32.const 200))
        (i32.store (i32.const 320) (i32.load (i32.const 20)))
        (i32.store (i32.const 324) (i32.load (i32.const 24))))
      (else
        (i32.store16 (i32.const 300) (i32.add (i32.const 400) (i32.load8_u (i32.const 20))))
        (i32.store (i32.const 320) (i32.load (i32.const 24)))
        (i32.store (i32.const 324) (i32.load (i32.const 28)))))
    (i32.const 300)))
