;; CRC-64/Jones (Redis), slicing-by-8 with native 64-bit integers.
;; Memory: 8 tables of 256 i64 at [0, 16384), filled by the host; data at [65536, ...).
;; crc(state, ptr, len) -> new state (reflected, no final xor).
(module
  (memory (export "memory") 17)
  (func (export "crc") (param $crc i64) (param $p i32) (param $n i32) (result i64)
    (local $end i32)
    (local $v i64)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done8
      (loop $l8
        (br_if $done8 (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 8)))
        (local.set $v (i64.xor (local.get $crc) (i64.load (local.get $p))))
        (local.set $crc
          (i64.xor
            (i64.xor
              (i64.xor
                (i64.load (i32.add (i32.const 14336) (i32.shl (i32.wrap_i64 (i64.and (local.get $v) (i64.const 255))) (i32.const 3))))
                (i64.load (i32.add (i32.const 12288) (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $v) (i64.const 8)) (i64.const 255))) (i32.const 3)))))
              (i64.xor
                (i64.load (i32.add (i32.const 10240) (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $v) (i64.const 16)) (i64.const 255))) (i32.const 3))))
                (i64.load (i32.add (i32.const 8192) (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $v) (i64.const 24)) (i64.const 255))) (i32.const 3))))))
            (i64.xor
              (i64.xor
                (i64.load (i32.add (i32.const 6144) (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $v) (i64.const 32)) (i64.const 255))) (i32.const 3))))
                (i64.load (i32.add (i32.const 4096) (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $v) (i64.const 40)) (i64.const 255))) (i32.const 3)))))
              (i64.xor
                (i64.load (i32.add (i32.const 2048) (i32.shl (i32.wrap_i64 (i64.and (i64.shr_u (local.get $v) (i64.const 48)) (i64.const 255))) (i32.const 3))))
                (i64.load (i32.shl (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 56))) (i32.const 3)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $l8)))
    (block $done1
      (loop $l1
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $crc
          (i64.xor
            (i64.load (i32.shl (i32.wrap_i64 (i64.and (i64.xor (local.get $crc) (i64.load8_u (local.get $p))) (i64.const 255))) (i32.const 3)))
            (i64.shr_u (local.get $crc) (i64.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $l1)))
    (local.get $crc)))
