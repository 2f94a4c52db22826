;; Imports a function whose result is a stream (an async type): Spindle refuses it at load, naming the import.
(component
  (import "scratch:async/reader" (instance
    (export "read" (func (result (stream u8)))))))
