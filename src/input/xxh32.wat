;; XXH32's stripe loop (the lanes of 16-byte stripes), for src/input/xxh32.ts. The four lane
;; accumulators live at memory[0, 16) between calls; the caller handles the seed, partial
;; stripes and the final mix. Regenerate xxh32-wasm.ts with scripts/build-wasm.ts.
(module
  (import "env" "memory" (memory 1))
  (func (export "stripes") (param $p i32) (param $len i32)
    (local $v1 i32) (local $v2 i32) (local $v3 i32) (local $v4 i32) (local $end i32)
    (local.set $v1 (i32.load (i32.const 0)))
    (local.set $v2 (i32.load (i32.const 4)))
    (local.set $v3 (i32.load (i32.const 8)))
    (local.set $v4 (i32.load (i32.const 12)))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done
      (loop $stripe
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        ;; v = rotl(v + lane * PRIME2, 13) * PRIME1
        (local.set $v1 (i32.mul (i32.rotl (i32.add (local.get $v1) (i32.mul (i32.load offset=0 (local.get $p)) (i32.const 0x85ebca77))) (i32.const 13)) (i32.const 0x9e3779b1)))
        (local.set $v2 (i32.mul (i32.rotl (i32.add (local.get $v2) (i32.mul (i32.load offset=4 (local.get $p)) (i32.const 0x85ebca77))) (i32.const 13)) (i32.const 0x9e3779b1)))
        (local.set $v3 (i32.mul (i32.rotl (i32.add (local.get $v3) (i32.mul (i32.load offset=8 (local.get $p)) (i32.const 0x85ebca77))) (i32.const 13)) (i32.const 0x9e3779b1)))
        (local.set $v4 (i32.mul (i32.rotl (i32.add (local.get $v4) (i32.mul (i32.load offset=12 (local.get $p)) (i32.const 0x85ebca77))) (i32.const 13)) (i32.const 0x9e3779b1)))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $stripe)))
    (i32.store (i32.const 0) (local.get $v1))
    (i32.store (i32.const 4) (local.get $v2))
    (i32.store (i32.const 8) (local.get $v3))
    (i32.store (i32.const 12) (local.get $v4))))
