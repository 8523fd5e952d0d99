;; keys.csv rows for the common key (see csv-row.ts): numbers, the ISO date and the key's
;; checks in integer code. A row it cannot write byte for byte as writeKeysCsvRow would
;; (a key that needs quoting, escaping or a formula guard, a number that is not a safe
;; unsigned integer, an expiry outside years 1970-9999) makes it return -1: the caller then
;; writes that row in JS.
;;
;; Memory (filled by the host where noted):
;;   [0, 200)       PAIRS: "00".."99" (host)
;;   [256, 416)     POW10: 10^0..10^19 as i64 (host)
;;   [512, 523)     the last day's "YYYY-MM-DDT" (day in $lastDay)
;;   [1024, 3072)   FIELDS: 64 slots of 32 bytes, a length byte then the field (host)
;;   [4096, 8192)   SCRATCH: the key (host)
;;   [8192, ...)    rows, written where the host says
(module
  (memory (export "memory") 6)
  (global $lastDay (mut i32) (i32.const -1))

  ;; x (unsigned) in decimal at p; returns the position after it.
  (func $u64 (param $p i32) (param $x i64) (result i32)
    (local $d i32) (local $end i32) (local $v i32) (local $q i32) (local $k i32) (local $hi i64)
    (local.set $d (i32.const 1))
    (block $counted
      (loop $count
        (br_if $counted (i32.ge_u (local.get $d) (i32.const 20)))
        (br_if $counted (i64.lt_u (local.get $x) (i64.load (i32.add (i32.const 256) (i32.shl (local.get $d) (i32.const 3))))))
        (local.set $d (i32.add (local.get $d) (i32.const 1)))
        (br $count)))
    (local.set $end (i32.add (local.get $p) (local.get $d)))
    (local.set $p (local.get $end))
    ;; Eight digits at a time while the rest needs 64 bits, then in 32 bits; backwards by pairs.
    (block $small
      (loop $big
        (br_if $small (i64.lt_u (local.get $x) (i64.const 100000000)))
        (local.set $hi (i64.div_u (local.get $x) (i64.const 100000000)))
        (local.set $v (i32.wrap_i64 (i64.sub (local.get $x) (i64.mul (local.get $hi) (i64.const 100000000)))))
        (local.set $k (i32.const 4))
        (loop $pairs
          (local.set $q (i32.div_u (local.get $v) (i32.const 100)))
          (local.set $p (i32.sub (local.get $p) (i32.const 2)))
          (i32.store16 (local.get $p) (i32.load16_u (i32.shl (i32.sub (local.get $v) (i32.mul (local.get $q) (i32.const 100))) (i32.const 1))))
          (local.set $v (local.get $q))
          (local.set $k (i32.sub (local.get $k) (i32.const 1)))
          (br_if $pairs (local.get $k)))
        (local.set $x (local.get $hi))
        (br $big)))
    (local.set $v (i32.wrap_i64 (local.get $x)))
    (block $last
      (loop $rest
        (br_if $last (i32.lt_u (local.get $v) (i32.const 100)))
        (local.set $q (i32.div_u (local.get $v) (i32.const 100)))
        (local.set $p (i32.sub (local.get $p) (i32.const 2)))
        (i32.store16 (local.get $p) (i32.load16_u (i32.shl (i32.sub (local.get $v) (i32.mul (local.get $q) (i32.const 100))) (i32.const 1))))
        (local.set $v (local.get $q))
        (br $rest)))
    (if (i32.ge_u (local.get $v) (i32.const 10))
      (then (i32.store16 (i32.sub (local.get $p) (i32.const 2)) (i32.load16_u (i32.shl (local.get $v) (i32.const 1)))))
      (else (i32.store8 (i32.sub (local.get $p) (i32.const 1)) (i32.add (local.get $v) (i32.const 48)))))
    (local.get $end))

  ;; v in decimal at p when it is an integer in [0, 2^53 - 1] (putNum's fast path); else -1.
  (func $num (param $p i32) (param $v f64) (result i32)
    (if (i32.eqz (i32.and (i32.and (f64.ge (local.get $v) (f64.const 0)) (f64.le (local.get $v) (f64.const 9007199254740991)))
                          (f64.eq (f64.trunc (local.get $v)) (local.get $v))))
      (then (return (i32.const -1))))
    (call $u64 (local.get $p) (i64.trunc_f64_u (local.get $v))))

  ;; Two digits of v < 100 at p.
  (func $pair (param $p i32) (param $v i32)
    (i32.store16 (local.get $p) (i32.load16_u (i32.shl (local.get $v) (i32.const 1)))))

  ;; "YYYY-MM-DDT" of a day since the epoch (0 ≤ day, year ≤ 9999) at 512: H. Hinnant's
  ;; civil-from-days, all terms non-negative here.
  (func $setDay (param $day i32)
    (local $z i32) (local $era i32) (local $doe i32) (local $yoe i32) (local $doy i32) (local $mp i32)
    (local $d i32) (local $m i32) (local $y i32)
    (local.set $z (i32.add (local.get $day) (i32.const 719468)))
    (local.set $era (i32.div_u (local.get $z) (i32.const 146097)))
    (local.set $doe (i32.sub (local.get $z) (i32.mul (local.get $era) (i32.const 146097))))
    (local.set $yoe (i32.div_u
      (i32.sub (i32.add (i32.sub (local.get $doe) (i32.div_u (local.get $doe) (i32.const 1460))) (i32.div_u (local.get $doe) (i32.const 36524)))
               (i32.div_u (local.get $doe) (i32.const 146096)))
      (i32.const 365)))
    (local.set $doy (i32.sub (local.get $doe)
      (i32.sub (i32.add (i32.mul (local.get $yoe) (i32.const 365)) (i32.div_u (local.get $yoe) (i32.const 4))) (i32.div_u (local.get $yoe) (i32.const 100)))))
    (local.set $mp (i32.div_u (i32.add (i32.mul (local.get $doy) (i32.const 5)) (i32.const 2)) (i32.const 153)))
    (local.set $d (i32.add (i32.sub (local.get $doy) (i32.div_u (i32.add (i32.mul (local.get $mp) (i32.const 153)) (i32.const 2)) (i32.const 5))) (i32.const 1)))
    (local.set $m (select (i32.add (local.get $mp) (i32.const 3)) (i32.sub (local.get $mp) (i32.const 9)) (i32.lt_u (local.get $mp) (i32.const 10))))
    (local.set $y (i32.add (i32.add (local.get $yoe) (i32.mul (local.get $era) (i32.const 400))) (i32.le_u (local.get $m) (i32.const 2))))
    (call $pair (i32.const 512) (i32.div_u (local.get $y) (i32.const 100)))
    (call $pair (i32.const 514) (i32.rem_u (local.get $y) (i32.const 100)))
    (i32.store8 (i32.const 516) (i32.const 45))
    (call $pair (i32.const 517) (local.get $m))
    (i32.store8 (i32.const 519) (i32.const 45))
    (call $pair (i32.const 520) (local.get $d))
    (i32.store8 (i32.const 522) (i32.const 84))
    (global.set $lastDay (local.get $day)))

  ;; ms (an integer in [0, 253402300799999]) as Date.toISOString writes it, at p.
  (func $iso (param $p i32) (param $ms i64) (result i32)
    (local $day i32) (local $rem i32) (local $h i32) (local $mi i32) (local $s i32) (local $milli i32)
    (local.set $day (i32.wrap_i64 (i64.div_u (local.get $ms) (i64.const 86400000))))
    (local.set $rem (i32.wrap_i64 (i64.sub (local.get $ms) (i64.mul (i64.extend_i32_u (local.get $day)) (i64.const 86400000)))))
    (if (i32.ne (local.get $day) (global.get $lastDay)) (then (call $setDay (local.get $day))))
    ;; 11 bytes of the day (12 moved; the 12th is overwritten next).
    (i64.store (local.get $p) (i64.load (i32.const 512)))
    (i32.store (i32.add (local.get $p) (i32.const 8)) (i32.load (i32.const 520)))
    (local.set $p (i32.add (local.get $p) (i32.const 11)))
    (local.set $h (i32.div_u (local.get $rem) (i32.const 3600000)))
    (local.set $rem (i32.sub (local.get $rem) (i32.mul (local.get $h) (i32.const 3600000))))
    (local.set $mi (i32.div_u (local.get $rem) (i32.const 60000)))
    (local.set $rem (i32.sub (local.get $rem) (i32.mul (local.get $mi) (i32.const 60000))))
    (local.set $s (i32.div_u (local.get $rem) (i32.const 1000)))
    (local.set $milli (i32.sub (local.get $rem) (i32.mul (local.get $s) (i32.const 1000))))
    (call $pair (local.get $p) (local.get $h))
    (i32.store8 (i32.add (local.get $p) (i32.const 2)) (i32.const 58))
    (call $pair (i32.add (local.get $p) (i32.const 3)) (local.get $mi))
    (i32.store8 (i32.add (local.get $p) (i32.const 5)) (i32.const 58))
    (call $pair (i32.add (local.get $p) (i32.const 6)) (local.get $s))
    (i32.store8 (i32.add (local.get $p) (i32.const 8)) (i32.const 46))
    (i32.store8 (i32.add (local.get $p) (i32.const 9)) (i32.add (i32.div_u (local.get $milli) (i32.const 100)) (i32.const 48)))
    (call $pair (i32.add (local.get $p) (i32.const 10)) (i32.rem_u (local.get $milli) (i32.const 100)))
    (i32.store8 (i32.add (local.get $p) (i32.const 12)) (i32.const 90))
    (i32.add (local.get $p) (i32.const 13)))

  ;; Field slot `code` at p (32 bytes moved, the length's worth kept).
  (func $field (param $p i32) (param $code i32) (result i32)
    (local $s i32)
    (local.set $s (i32.add (i32.const 1024) (i32.shl (local.get $code) (i32.const 5))))
    (i64.store (local.get $p) (i64.load (i32.add (local.get $s) (i32.const 1))))
    (i64.store (i32.add (local.get $p) (i32.const 8)) (i64.load (i32.add (local.get $s) (i32.const 9))))
    (i64.store (i32.add (local.get $p) (i32.const 16)) (i64.load (i32.add (local.get $s) (i32.const 17))))
    (i64.store (i32.add (local.get $p) (i32.const 24)) (i64.load (i32.add (local.get $s) (i32.const 25))))
    (i32.add (local.get $p) (i32.load8_u (local.get $s))))

  ;; The SCRATCH key (n bytes) at p when CSV takes it as it is: ASCII without , " LF CR and
  ;; no formula start (= + - @ TAB CR). Returns the position after it, or -1.
  (func $key (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $w i64) (local $bad i64) (local $c i32)
    (if (local.get $n)
      (then
        (local.set $c (i32.load8_u (i32.const 4096)))
        (if (i32.or (i32.or (i32.eq (local.get $c) (i32.const 61)) (i32.eq (local.get $c) (i32.const 43)))
                    (i32.or (i32.or (i32.eq (local.get $c) (i32.const 45)) (i32.eq (local.get $c) (i32.const 64)))
                            (i32.or (i32.eq (local.get $c) (i32.const 9)) (i32.eq (local.get $c) (i32.const 13)))))
          (then (return (i32.const -1))))))
    (block $words
      (loop $word
        (br_if $words (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $n)))
        (local.set $w (i64.load (i32.add (i32.const 4096) (local.get $i))))
        (i64.store (i32.add (local.get $p) (local.get $i)) (local.get $w))
        ;; A byte ≥ 0x80, or a zero byte in w ^ c for c = , " LF CR: (x - 0x01..) & ~x has
        ;; bit 7 of some byte set exactly when x has a zero byte (bit 7 is masked in at the end).
        (local.set $bad (i64.or (local.get $bad)
          (i64.or (i64.or (local.get $w) (i64.and (i64.sub (i64.xor (local.get $w) (i64.const 0x2c2c2c2c2c2c2c2c)) (i64.const 0x0101010101010101)) (i64.xor (i64.xor (local.get $w) (i64.const 0x2c2c2c2c2c2c2c2c)) (i64.const -1))))
                  (i64.or (i64.and (i64.sub (i64.xor (local.get $w) (i64.const 0x2222222222222222)) (i64.const 0x0101010101010101)) (i64.xor (i64.xor (local.get $w) (i64.const 0x2222222222222222)) (i64.const -1)))
                          (i64.or (i64.and (i64.sub (i64.xor (local.get $w) (i64.const 0x0a0a0a0a0a0a0a0a)) (i64.const 0x0101010101010101)) (i64.xor (i64.xor (local.get $w) (i64.const 0x0a0a0a0a0a0a0a0a)) (i64.const -1))) (i64.and (i64.sub (i64.xor (local.get $w) (i64.const 0x0d0d0d0d0d0d0d0d)) (i64.const 0x0101010101010101)) (i64.xor (i64.xor (local.get $w) (i64.const 0x0d0d0d0d0d0d0d0d)) (i64.const -1))))))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $word)))
    (if (i64.ne (i64.and (local.get $bad) (i64.const 0x8080808080808080)) (i64.const 0)) (then (return (i32.const -1))))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $c (i32.load8_u (i32.add (i32.const 4096) (local.get $i))))
        (if (i32.or (i32.or (i32.ge_u (local.get $c) (i32.const 128)) (i32.eq (local.get $c) (i32.const 44)))
                    (i32.or (i32.eq (local.get $c) (i32.const 34)) (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13)))))
          (then (return (i32.const -1))))
        (i32.store8 (i32.add (local.get $p) (local.get $i)) (local.get $c))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $byte)))
    (i32.add (local.get $p) (local.get $n)))

  ;; One row at p: database,type,key,size,encoding,length,largest,expiry,expire_at_ms,(no key_b64),usage
  ;; with the key in SCRATCH (n ≤ 4096 bytes). largest < 0: empty; exp = -1: no expiry.
  ;; Returns the position after the newline, or -1 (nothing usable written).
  (func (export "row") (param $p i32) (param $n i32) (param $db f64) (param $type i32) (param $enc i32)
    (param $size f64) (param $len f64) (param $largest f64) (param $exp f64) (param $usage f64) (result i32)
    (local $ms i64)
    (if (i32.gt_u (local.get $n) (i32.const 4096)) (then (return (i32.const -1))))
    (if (f64.ne (local.get $exp) (f64.const -1))
      (then
        (if (i32.eqz (i32.and (i32.and (f64.ge (local.get $exp) (f64.const 0)) (f64.le (local.get $exp) (f64.const 253402300799999)))
                              (f64.eq (f64.trunc (local.get $exp)) (local.get $exp))))
          (then (return (i32.const -1))))
        (local.set $ms (i64.trunc_f64_u (local.get $exp)))))
    (local.set $p (call $num (local.get $p) (local.get $db)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
    (i32.store8 (local.get $p) (i32.const 44))
    (local.set $p (call $field (i32.add (local.get $p) (i32.const 1)) (local.get $type)))
    (i32.store8 (local.get $p) (i32.const 44))
    (local.set $p (call $key (i32.add (local.get $p) (i32.const 1)) (local.get $n)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
    (i32.store8 (local.get $p) (i32.const 44))
    (local.set $p (call $num (i32.add (local.get $p) (i32.const 1)) (local.get $size)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
    (i32.store8 (local.get $p) (i32.const 44))
    (local.set $p (call $field (i32.add (local.get $p) (i32.const 1)) (local.get $enc)))
    (i32.store8 (local.get $p) (i32.const 44))
    (local.set $p (call $num (i32.add (local.get $p) (i32.const 1)) (local.get $len)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
    (i32.store8 (local.get $p) (i32.const 44))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (if (f64.ge (local.get $largest) (f64.const 0))
      (then
        (local.set $p (call $num (local.get $p) (local.get $largest)))
        (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))))
    (i32.store8 (local.get $p) (i32.const 44))
    (local.set $p (i32.add (local.get $p) (i32.const 1)))
    (if (f64.ne (local.get $exp) (f64.const -1))
      (then
        (local.set $p (call $iso (local.get $p) (local.get $ms)))
        (i32.store8 (local.get $p) (i32.const 44))
        (local.set $p (call $u64 (i32.add (local.get $p) (i32.const 1)) (local.get $ms)))
        (i32.store8 (local.get $p) (i32.const 44))
        (local.set $p (i32.add (local.get $p) (i32.const 1))))
      (else
        (i32.store16 (local.get $p) (i32.const 0x2c2c))
        (local.set $p (i32.add (local.get $p) (i32.const 2)))))
    ;; key_b64 is empty: the comma before memory_usage, then the newline.
    (i32.store8 (local.get $p) (i32.const 44))
    (local.set $p (call $num (i32.add (local.get $p) (i32.const 1)) (local.get $usage)))
    (if (i32.lt_s (local.get $p) (i32.const 0)) (then (return (i32.const -1))))
    (i32.store8 (local.get $p) (i32.const 10))
    (i32.add (local.get $p) (i32.const 1))))
