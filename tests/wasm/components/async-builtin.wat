;; Uses the async canon built-in waitable-set.new: Spindle refuses it at load, naming the built-in.
(component
  (core func $new (canon waitable-set.new))
  (core module $m (import "" "new" (func (result i32))))
  (core instance (instantiate $m (with "" (instance (export "new" (func $new)))))))
