;; Polyphase FIR kernel for lib/audio/resample.ts, in WebAssembly SIMD (f32x4).
;; Build: `deno task build:wasm` (compiles this file into lib/audio/resample_kernel_wasm.ts).
;;
;; Memory layout (byte offsets, all passed in):
;;   x      f32[...]   input, already zero-padded so every tap reads inside it
;;   phases i32[3*up]  per phase: weight offset (floats), taps (multiple of 16), first input index
;;   w      f32[...]   weights of all phases, each phase zero-padded to a multiple of 16 taps
;;   out    f32[nOut]
(module
  (memory (export "memory") 1)
  (func (export "polyphase")
    (param $x i32) (param $phases i32) (param $w i32) (param $out i32)
    (param $nOut i32) (param $up i32) (param $down i32)
    (local $t i32) (local $period i32) (local $p i32) (local $entry i32)
    (local $wp i32) (local $xp i32) (local $end i32)
    (local $acc0 v128) (local $acc1 v128) (local $acc2 v128) (local $acc3 v128) (local $sum v128)
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $t) (local.get $nOut)))
        (local.set $period (i32.div_u (local.get $t) (local.get $up)))
        (local.set $p (i32.sub (local.get $t) (i32.mul (local.get $period) (local.get $up))))
        (local.set $entry (i32.add (local.get $phases) (i32.mul (local.get $p) (i32.const 12))))
        ;; wp = w + 4 * weightOffset; end = wp + 4 * taps
        (local.set $wp (i32.add (local.get $w)
          (i32.shl (i32.load (local.get $entry)) (i32.const 2))))
        (local.set $end (i32.add (local.get $wp)
          (i32.shl (i32.load offset=4 (local.get $entry)) (i32.const 2))))
        ;; xp = x + 4 * (first + period * down)
        (local.set $xp (i32.add (local.get $x)
          (i32.shl
            (i32.add (i32.load offset=8 (local.get $entry))
                     (i32.mul (local.get $period) (local.get $down)))
            (i32.const 2))))
        (local.set $acc0 (v128.const f32x4 0 0 0 0))
        (local.set $acc1 (v128.const f32x4 0 0 0 0))
        (local.set $acc2 (v128.const f32x4 0 0 0 0))
        (local.set $acc3 (v128.const f32x4 0 0 0 0))
        (block $inner_done
          (loop $inner
            (br_if $inner_done (i32.ge_u (local.get $wp) (local.get $end)))
            (local.set $acc0 (f32x4.add (local.get $acc0)
              (f32x4.mul (v128.load (local.get $wp)) (v128.load (local.get $xp)))))
            (local.set $acc1 (f32x4.add (local.get $acc1)
              (f32x4.mul (v128.load offset=16 (local.get $wp)) (v128.load offset=16 (local.get $xp)))))
            (local.set $acc2 (f32x4.add (local.get $acc2)
              (f32x4.mul (v128.load offset=32 (local.get $wp)) (v128.load offset=32 (local.get $xp)))))
            (local.set $acc3 (f32x4.add (local.get $acc3)
              (f32x4.mul (v128.load offset=48 (local.get $wp)) (v128.load offset=48 (local.get $xp)))))
            (local.set $wp (i32.add (local.get $wp) (i32.const 64)))
            (local.set $xp (i32.add (local.get $xp) (i32.const 64)))
            (br $inner)))
        (local.set $sum (f32x4.add (f32x4.add (local.get $acc0) (local.get $acc1))
                                   (f32x4.add (local.get $acc2) (local.get $acc3))))
        (f32.store
          (i32.add (local.get $out) (i32.shl (local.get $t) (i32.const 2)))
          (f32.add
            (f32.add (f32x4.extract_lane 0 (local.get $sum)) (f32x4.extract_lane 1 (local.get $sum)))
            (f32.add (f32x4.extract_lane 2 (local.get $sum)) (f32x4.extract_lane 3 (local.get $sum)))))
        (local.set $t (i32.add (local.get $t) (i32.const 1)))
        (br $outer)))))
