;; Exports an async function, lifted with the async option and a callback: Spindle refuses it at load, naming the
;; export.
(component
  (core module $m
    (func (export "run") (result i32) (i32.const 0))
    (func (export "callback") (param i32 i32 i32) (result i32) (i32.const 0)))
  (core instance $i (instantiate $m))
  (type $run (func async))
  (func (export "run") (type $run) (canon lift (core func $i "run") async (callback (core func $i "callback")))))
