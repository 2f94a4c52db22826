;; Imports wasi:config/store@0.2.0-draft-2024-09-27 and exports `get` and `get-all` of the same types, which pass
;; straight through to it: for the host tests of Spindle's variables interfaces
;; (tests/Spindle.Host.Tests/VariablesInterfacesTests.cs). Memory and a bump allocator come from their own core
;; module, so the imports can be lowered into them before the module that calls them is instantiated.
(component
  (import "wasi:config/store@0.2.0-draft-2024-09-27" (instance $store
    (type $error (variant (case "upstream" string) (case "io" string)))
    (export "error" (type $error-export (eq $error)))
    (export "get" (func (param "key" string) (result (result (option string) (error $error-export)))))
    (export "get-all" (func (result (result (list (tuple string string)) (error $error-export)))))))
  (alias export $store "error" (type $error))
  (core module $heap
    (memory (export "memory") 1)
    (global $next (mut i32) (i32.const 1024))
    (func (export "realloc") (param i32 i32 i32 i32) (result i32) (local $at i32)
      (local.set $at (i32.and (i32.add (global.get $next) (i32.sub (local.get 2) (i32.const 1)))
                              (i32.sub (i32.const 0) (local.get 2))))
      (global.set $next (i32.add (local.get $at) (local.get 3)))
      (local.get $at)))
  (core instance $heap (instantiate $heap))
  (alias core export $heap "memory" (core memory $memory))
  (alias core export $heap "realloc" (core func $realloc))
  (core func $get (canon lower (func $store "get") (memory $memory) (realloc $realloc)))
  (core func $get-all (canon lower (func $store "get-all") (memory $memory) (realloc $realloc)))
  (core module $m
    (import "store" "get" (func $get (param i32 i32 i32)))
    (import "store" "get-all" (func $get-all (param i32)))
    (func (export "get") (param i32 i32) (result i32)
      (call $get (local.get 0) (local.get 1) (i32.const 16))
      (i32.const 16))
    (func (export "get-all") (result i32)
      (call $get-all (i32.const 64))
      (i32.const 64)))
  (core instance $i (instantiate $m (with "store" (instance (export "get" (func $get)) (export "get-all" (func $get-all))))))
  (func (export "get") (param "key" string) (result (result (option string) (error $error)))
    (canon lift (core func $i "get") (memory $memory) (realloc $realloc)))
  (func (export "get-all") (result (result (list (tuple string string)) (error $error)))
    (canon lift (core func $i "get-all") (memory $memory))))
