;; Defines a resource `r` (rep i32) with a destructor, and exports functions over plain u32 handles that use
;; resource.new, resource.rep and resource.drop. The destructor records the rep it saw: `destroyed` returns the
;; last one (0 before any) and `destructions` how many ran.
(component
  (core module $impl
    (global $last (mut i32) (i32.const 0))
    (global $count (mut i32) (i32.const 0))
    (func (export "dtor") (param i32)
      (global.set $last (local.get 0))
      (global.set $count (i32.add (global.get $count) (i32.const 1))))
    (func (export "destroyed") (result i32) (global.get $last))
    (func (export "destructions") (result i32) (global.get $count)))
  (core instance $impl (instantiate $impl))
  (type $r (resource (rep i32) (dtor (core func $impl "dtor"))))
  (core func $new (canon resource.new $r))
  (core func $rep (canon resource.rep $r))
  (core func $drop (canon resource.drop $r))
  (core module $m
    (import "r" "new" (func $new (param i32) (result i32)))
    (import "r" "rep" (func $rep (param i32) (result i32)))
    (import "r" "drop" (func $drop (param i32)))
    (func (export "make") (param i32) (result i32) (call $new (local.get 0)))
    (func (export "rep") (param i32) (result i32) (call $rep (local.get 0)))
    (func (export "drop") (param i32) (call $drop (local.get 0))))
  (core instance $i (instantiate $m
    (with "r" (instance (export "new" (func $new)) (export "rep" (func $rep)) (export "drop" (func $drop))))))
  (func (export "make") (param "rep" u32) (result u32) (canon lift (core func $i "make")))
  (func (export "rep") (param "handle" u32) (result u32) (canon lift (core func $i "rep")))
  (func (export "drop") (param "handle" u32) (canon lift (core func $i "drop")))
  (func (export "destroyed") (result u32) (canon lift (core func $impl "destroyed")))
  (func (export "destructions") (result u32) (canon lift (core func $impl "destructions"))))
