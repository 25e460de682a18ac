/**
 * The `fast` phase vocoder on the WebAssembly SIMD kernel (`vocode` in `kernel_src/dsp_kernel.ts`):
 * the same phasor arithmetic as `vocoderPhasor` in lib/augment/stretch.ts, float32, four bins
 * per instruction. Pure: no Deno APIs. Null where WebAssembly SIMD is unavailable.
 */
import { ensureMemory, instantiateKernel } from "../wasm/instance.ts";
import type { Spectrogram } from "../features/stft.ts";
import { DSP_KERNEL_WASM } from "../wasm/dsp_kernel_wasm.ts";

interface Exports {
  vocode(
    re: number,
    im: number,
    nBins: number,
    idx: number,
    alpha: number,
    nOut: number,
    outRe: number,
    outIm: number,
    phaseRe: number,
    phaseIm: number,
  ): void;
}

export type VocoderKernel = (spec: Spectrogram, steps: readonly number[]) => Spectrogram;

export function createVocoderKernel(): VocoderKernel | null {
  const ex = instantiateKernel<Exports>(DSP_KERNEL_WASM);
  if (!ex) return null;
  return (spec, steps) => {
    const { nBins, nFrames } = spec;
    const nOut = steps.length;
    let at = 1024;
    const take = (floats: number) => {
      const p = at;
      at += 4 * (floats + 8);
      return p;
    };
    const inSize = (nFrames + 2) * nBins + 4;
    const re = take(inSize);
    const im = take(inSize);
    const outRe = take(nOut * nBins + 4);
    const outIm = take(nOut * nBins + 4);
    const idx = take(nOut);
    const alpha = take(nOut);
    const phaseRe = take(nBins + 4);
    const phaseIm = take(nBins + 4);
    ensureMemory(ex.memory, at);
    const mem = ex.memory.buffer;
    const reIn = new Float32Array(mem, re, inSize);
    const imIn = new Float32Array(mem, im, inSize);
    reIn.set(spec.re);
    imIn.set(spec.im);
    reIn.fill(0, nFrames * nBins); // librosa's two zero frames, and the slack
    imIn.fill(0, nFrames * nBins);
    const idxV = new Int32Array(mem, idx, nOut);
    const alphaV = new Float32Array(mem, alpha, nOut);
    steps.forEach((s, t) => {
      idxV[t] = Math.trunc(s);
      alphaV[t] = s % 1;
    });
    ex.vocode(re, im, nBins, idx, alpha, nOut, outRe, outIm, phaseRe, phaseIm);
    return {
      nFrames: nOut,
      nBins,
      re: new Float32Array(mem, outRe, nOut * nBins).slice(),
      im: new Float32Array(mem, outIm, nOut * nBins).slice(),
    };
  };
}
