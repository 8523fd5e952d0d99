;; The LZ4 block decoder for src/input/lz4-block.ts. Every read and write is bounds-checked;
;; short runs move 16 bytes at a time (the caller leaves 16 bytes of slack after the input, and
;; writes past a run's end are overwritten by the next), long ones with memory.copy.
;; Regenerate lz4-block-wasm.ts with scripts/build-wasm.ts.
(module
  (import "env" "memory" (memory 1))
  ;; Decodes input [s, sEnd) to output from d, at most up to dEnd; matches may reach back to
  ;; base. Returns the output end, or -1 (a sequence runs past the input), -2 (a match offset
  ;; reaches before base), -3 (the output would pass dEnd).
  (func (export "decode") (param $s i32) (param $sEnd i32) (param $base i32) (param $d i32) (param $dEnd i32) (result i32)
    (local $token i32) (local $n i32) (local $b i32) (local $off i32) (local $m i32) (local $k i32)
    (block $done
      (loop $sequence
        (br_if $done (i32.ge_u (local.get $s) (local.get $sEnd)))
        (local.set $token (i32.load8_u (local.get $s)))
        (local.set $s (i32.add (local.get $s) (i32.const 1)))
        ;; Literals: length, then the bytes.
        (local.set $n (i32.shr_u (local.get $token) (i32.const 4)))
        (if (i32.eq (local.get $n) (i32.const 15))
          (then
            (loop $more
              (if (i32.ge_u (local.get $s) (local.get $sEnd)) (then (return (i32.const -1))))
              (local.set $b (i32.load8_u (local.get $s)))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (local.set $n (i32.add (local.get $n) (local.get $b)))
              (br_if $more (i32.eq (local.get $b) (i32.const 255))))))
        (if (local.get $n)
          (then
            (if (i32.gt_u (local.get $n) (i32.sub (local.get $sEnd) (local.get $s))) (then (return (i32.const -1))))
            (if (i32.gt_u (local.get $n) (i32.sub (local.get $dEnd) (local.get $d))) (then (return (i32.const -3))))
            (if (i32.and (i32.le_u (local.get $n) (i32.const 16))
                         (i32.le_u (i32.add (local.get $d) (i32.const 16)) (local.get $dEnd)))
              (then
                (i64.store (local.get $d) (i64.load (local.get $s)))
                (i64.store offset=8 (local.get $d) (i64.load offset=8 (local.get $s))))
              (else (memory.copy (local.get $d) (local.get $s) (local.get $n))))
            (local.set $s (i32.add (local.get $s) (local.get $n)))
            (local.set $d (i32.add (local.get $d) (local.get $n)))))
        ;; The last sequence of a block has literals only.
        (br_if $done (i32.eq (local.get $s) (local.get $sEnd)))
        (if (i32.lt_u (i32.sub (local.get $sEnd) (local.get $s)) (i32.const 2)) (then (return (i32.const -1))))
        (local.set $off (i32.load16_u (local.get $s)))
        (local.set $s (i32.add (local.get $s) (i32.const 2)))
        ;; Match: length, then the copy.
        (local.set $n (i32.and (local.get $token) (i32.const 15)))
        (if (i32.eq (local.get $n) (i32.const 15))
          (then
            (loop $more
              (if (i32.ge_u (local.get $s) (local.get $sEnd)) (then (return (i32.const -1))))
              (local.set $b (i32.load8_u (local.get $s)))
              (local.set $s (i32.add (local.get $s) (i32.const 1)))
              (local.set $n (i32.add (local.get $n) (local.get $b)))
              (br_if $more (i32.eq (local.get $b) (i32.const 255))))))
        (local.set $n (i32.add (local.get $n) (i32.const 4)))
        (if (i32.or (i32.eqz (local.get $off)) (i32.gt_u (local.get $off) (i32.sub (local.get $d) (local.get $base))))
          (then (return (i32.const -2))))
        (if (i32.gt_u (local.get $n) (i32.sub (local.get $dEnd) (local.get $d))) (then (return (i32.const -3))))
        (local.set $m (i32.sub (local.get $d) (local.get $off)))
        (if (i32.and (i32.and (i32.le_u (local.get $n) (i32.const 16)) (i32.ge_u (local.get $off) (i32.const 8)))
                     (i32.le_u (i32.add (local.get $d) (i32.const 16)) (local.get $dEnd)))
          (then
            ;; An offset of 8 or more: each 8-byte load reads only bytes already final.
            (i64.store (local.get $d) (i64.load (local.get $m)))
            (i64.store offset=8 (local.get $d) (i64.load offset=8 (local.get $m)))
            (local.set $d (i32.add (local.get $d) (local.get $n))))
          (else
            (if (i32.and (i32.lt_u (local.get $off) (i32.const 8)) (i32.lt_u (local.get $n) (i32.const 32)))
              (then
                ;; A short repeat of a short pattern: byte by byte, in order.
                (local.set $k (i32.add (local.get $d) (local.get $n)))
                (loop $byte
                  (i32.store8 (local.get $d) (i32.load8_u (local.get $m)))
                  (local.set $d (i32.add (local.get $d) (i32.const 1)))
                  (local.set $m (i32.add (local.get $m) (i32.const 1)))
                  (br_if $byte (i32.lt_u (local.get $d) (local.get $k)))))
              (else
                ;; Pieces no longer than the distance to the source, which doubles as the
                ;; repeated pattern grows (one piece when the offset is at least the length).
                (loop $piece
                  (local.set $k (i32.sub (local.get $d) (local.get $m)))
                  (if (i32.lt_u (local.get $n) (local.get $k)) (then (local.set $k (local.get $n))))
                  (memory.copy (local.get $d) (local.get $m) (local.get $k))
                  (local.set $d (i32.add (local.get $d) (local.get $k)))
                  (local.set $n (i32.sub (local.get $n) (local.get $k)))
                  (br_if $piece (local.get $n)))))))
        (br $sequence)))
    (local.get $d)))
