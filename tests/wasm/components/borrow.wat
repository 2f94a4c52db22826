;; Imports the host resource `thing` of scratch:res/types and exports two functions taking borrow<thing>:
;; `release` drops the borrowed handle before it returns, as the Canonical ABI requires; `keep` returns holding it,
;; which traps.
(component
  (import "scratch:res/types" (instance $types
    (export "thing" (type (sub resource)))))
  (alias export $types "thing" (type $thing))
  (core func $drop (canon resource.drop $thing))
  (core module $m
    (import "thing" "drop" (func $drop (param i32)))
    (func (export "release") (param i32) (call $drop (local.get 0)))
    (func (export "keep") (param i32)))
  (core instance $i (instantiate $m (with "thing" (instance (export "drop" (func $drop))))))
  (type $borrowed (borrow $thing))
  (func (export "release") (param "t" $borrowed) (canon lift (core func $i "release")))
  (func (export "keep") (param "t" $borrowed) (canon lift (core func $i "keep"))))
