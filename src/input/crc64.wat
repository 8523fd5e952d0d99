;; CRC-64/Jones (Redis), slicing-by-8 with native 64-bit integers. A byte's table offset
;; (byte × 8) comes from one shift and one mask of the state, the table base from the load's
;; static offset.
;; Memory: 8 tables of 256 i64 at [0, 16384), filled by the host; 3 i64 results of crc4 at
;; [16384, 16408); data at [65536, ...). States are reflected, with no final xor.
(module
  (memory (export "memory") 17)
  ;; crc(state, ptr, len) -> new state
  (func (export "crc") (param $crc i64) (param $p i32) (param $n i32) (result i64)
    (local $end i32)
    (local $v i64)
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done8
      (loop $l8
        (br_if $done8 (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 8)))
        (local.set $v (i64.xor (local.get $crc) (i64.load (local.get $p))))
        (local.set $crc (i64.xor (i64.xor (i64.xor (i64.load offset=14336 (i32.and (i32.shl (i32.wrap_i64 (local.get $v)) (i32.const 3)) (i32.const 2040))) (i64.load offset=12288 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 5))) (i32.const 2040)))) (i64.xor (i64.load offset=10240 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 13))) (i32.const 2040))) (i64.load offset=8192 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 21))) (i32.const 2040))))) (i64.xor (i64.xor (i64.load offset=6144 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 29))) (i32.const 2040))) (i64.load offset=4096 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 37))) (i32.const 2040)))) (i64.xor (i64.load offset=2048 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 45))) (i32.const 2040))) (i64.load (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v) (i64.const 53))) (i32.const 2040)))))))
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
    (local.get $crc))
  ;; crc4(state, ptr, len): the four consecutive runs of `len` bytes (a multiple of 8) at ptr,
  ;; each from state 0 except the first, interleaved so the table lookups of the four overlap.
  ;; Returns the first run's state; the other three are stored at 16384, 16392, 16400.
  (func (export "crc4") (param $crc i64) (param $p i32) (param $n i32) (result i64)
    (local $end i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $c0 i64) (local $c1 i64) (local $c2 i64) (local $c3 i64)
    (local $v0 i64) (local $v1 i64) (local $v2 i64) (local $v3 i64)
    (local.set $c0 (local.get $crc))
    (local.set $o1 (local.get $n))
    (local.set $o2 (i32.shl (local.get $n) (i32.const 1)))
    (local.set $o3 (i32.mul (local.get $n) (i32.const 3)))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $v0 (i64.xor (local.get $c0) (i64.load (i32.add (local.get $p) (local.get $o0)))))
        (local.set $v1 (i64.xor (local.get $c1) (i64.load (i32.add (local.get $p) (local.get $o1)))))
        (local.set $v2 (i64.xor (local.get $c2) (i64.load (i32.add (local.get $p) (local.get $o2)))))
        (local.set $v3 (i64.xor (local.get $c3) (i64.load (i32.add (local.get $p) (local.get $o3)))))
        (local.set $c0 (i64.xor (i64.xor (i64.xor (i64.load offset=14336 (i32.and (i32.shl (i32.wrap_i64 (local.get $v0)) (i32.const 3)) (i32.const 2040))) (i64.load offset=12288 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v0) (i64.const 5))) (i32.const 2040)))) (i64.xor (i64.load offset=10240 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v0) (i64.const 13))) (i32.const 2040))) (i64.load offset=8192 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v0) (i64.const 21))) (i32.const 2040))))) (i64.xor (i64.xor (i64.load offset=6144 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v0) (i64.const 29))) (i32.const 2040))) (i64.load offset=4096 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v0) (i64.const 37))) (i32.const 2040)))) (i64.xor (i64.load offset=2048 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v0) (i64.const 45))) (i32.const 2040))) (i64.load (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v0) (i64.const 53))) (i32.const 2040)))))))
        (local.set $c1 (i64.xor (i64.xor (i64.xor (i64.load offset=14336 (i32.and (i32.shl (i32.wrap_i64 (local.get $v1)) (i32.const 3)) (i32.const 2040))) (i64.load offset=12288 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v1) (i64.const 5))) (i32.const 2040)))) (i64.xor (i64.load offset=10240 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v1) (i64.const 13))) (i32.const 2040))) (i64.load offset=8192 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v1) (i64.const 21))) (i32.const 2040))))) (i64.xor (i64.xor (i64.load offset=6144 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v1) (i64.const 29))) (i32.const 2040))) (i64.load offset=4096 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v1) (i64.const 37))) (i32.const 2040)))) (i64.xor (i64.load offset=2048 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v1) (i64.const 45))) (i32.const 2040))) (i64.load (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v1) (i64.const 53))) (i32.const 2040)))))))
        (local.set $c2 (i64.xor (i64.xor (i64.xor (i64.load offset=14336 (i32.and (i32.shl (i32.wrap_i64 (local.get $v2)) (i32.const 3)) (i32.const 2040))) (i64.load offset=12288 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v2) (i64.const 5))) (i32.const 2040)))) (i64.xor (i64.load offset=10240 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v2) (i64.const 13))) (i32.const 2040))) (i64.load offset=8192 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v2) (i64.const 21))) (i32.const 2040))))) (i64.xor (i64.xor (i64.load offset=6144 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v2) (i64.const 29))) (i32.const 2040))) (i64.load offset=4096 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v2) (i64.const 37))) (i32.const 2040)))) (i64.xor (i64.load offset=2048 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v2) (i64.const 45))) (i32.const 2040))) (i64.load (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v2) (i64.const 53))) (i32.const 2040)))))))
        (local.set $c3 (i64.xor (i64.xor (i64.xor (i64.load offset=14336 (i32.and (i32.shl (i32.wrap_i64 (local.get $v3)) (i32.const 3)) (i32.const 2040))) (i64.load offset=12288 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v3) (i64.const 5))) (i32.const 2040)))) (i64.xor (i64.load offset=10240 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v3) (i64.const 13))) (i32.const 2040))) (i64.load offset=8192 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v3) (i64.const 21))) (i32.const 2040))))) (i64.xor (i64.xor (i64.load offset=6144 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v3) (i64.const 29))) (i32.const 2040))) (i64.load offset=4096 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v3) (i64.const 37))) (i32.const 2040)))) (i64.xor (i64.load offset=2048 (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v3) (i64.const 45))) (i32.const 2040))) (i64.load (i32.and (i32.wrap_i64 (i64.shr_u (local.get $v3) (i64.const 53))) (i32.const 2040)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $l)))
    (i64.store (i32.const 16384) (local.get $c1))
    (i64.store (i32.const 16392) (local.get $c2))
    (i64.store (i32.const 16400) (local.get $c3))
    (local.get $c0))
  ;; mulmod(a, b): a·b modulo the polynomial, both reflected (bit 63 is x^0). With b = x^(8n)
  ;; it turns the CRC of A into that of A followed by n zero bytes, which is how runs combine.
  (func (export "mulmod") (param $a i64) (param $b i64) (result i64)
    (local $m i64)
    (local $r i64)
    (local.set $m (i64.const 0x8000000000000000))
    (block $done
      (loop $l
        (br_if $done (i64.eqz (local.get $m)))
        (if (i64.ne (i64.and (local.get $a) (local.get $m)) (i64.const 0))
          (then (local.set $r (i64.xor (local.get $r) (local.get $b)))))
        (local.set $b
          (i64.xor
            (i64.shr_u (local.get $b) (i64.const 1))
            (i64.and (i64.sub (i64.const 0) (i64.and (local.get $b) (i64.const 1))) (i64.const 0x95ac9329ac4bc9b5))))
        (local.set $m (i64.shr_u (local.get $m) (i64.const 1)))
        (br $l)))
    (local.get $r)))
