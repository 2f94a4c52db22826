;; Imports an async function type: Spindle refuses it at load, naming the import and the function.
(component
  (import "scratch:async/sleeper" (instance
    (export "sleep" (func async (param "ms" u32))))))
