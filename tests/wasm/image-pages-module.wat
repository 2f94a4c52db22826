;; A core module whose memory image puts each 4 KiB page's number (1-15) in the first four bytes of the pages
;; above 1 MiB (the host keeps the first 1 MiB of a slot resident, so only pages above it start as the image's);
;; `touch(page)` returns the number at 1 MiB + page * 4 KiB and adds 1000 to it in memory. For the host's working-set
;; test (MemoryWorkingSetTests.cs): pages earlier instances wrote are writable before a new instance runs, and every
;; instance sees the image.
(module
  (memory (export "memory") 32)
  (data (i32.const 1052672) "\01\00\00\00")
  (data (i32.const 1056768) "\02\00\00\00")
  (data (i32.const 1060864) "\03\00\00\00")
  (data (i32.const 1064960) "\04\00\00\00")
  (data (i32.const 1069056) "\05\00\00\00")
  (data (i32.const 1073152) "\06\00\00\00")
  (data (i32.const 1077248) "\07\00\00\00")
  (data (i32.const 1081344) "\08\00\00\00")
  (data (i32.const 1085440) "\09\00\00\00")
  (data (i32.const 1089536) "\0a\00\00\00")
  (data (i32.const 1093632) "\0b\00\00\00")
  (data (i32.const 1097728) "\0c\00\00\00")
  (data (i32.const 1101824) "\0d\00\00\00")
  (data (i32.const 1105920) "\0e\00\00\00")
  (data (i32.const 1110016) "\0f\00\00\00")
  (global $heap (mut i32) (i32.const 8192))
  (func (export "canonical_abi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (global.get $heap) (local.get 3)))
    (local.get $p))
  (func (export "touch") (param i32) (result i32) (local $at i32) (local $value i32)
    (local.set $at (i32.add (i32.const 0x100000) (i32.shl (local.get 0) (i32.const 12))))
    (local.set $value (i32.load (local.get $at)))
    (i32.store (local.get $at) (i32.add (local.get $value) (i32.const 1000)))
    (local.get $value)))
