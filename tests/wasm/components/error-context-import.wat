;; Imports a function returning an error-context (an async type): Spindle refuses it at load, naming the import.
(component
  (import "scratch:async/errors" (instance
    (export "last" (func (result error-context))))))
