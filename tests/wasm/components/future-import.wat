;; Imports a function taking a future (an async type): Spindle refuses it at load, naming the import.
(component
  (import "scratch:async/waiter" (instance
    (export "wait" (func (param "f" (future u32)))))))
