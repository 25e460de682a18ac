/**
 * Filter banks and transforms as librosa 0.9 builds them. Pure: no Deno APIs.
 *
 * Meyda's mel bank is HTK-style with unit-height triangles and its MFCC uses an unnormalised
 * DCT, so its numbers are not librosa's; these are.
 */

/** A row-sparse filter bank: row r has weights for bins `start[r] .. start[r]+weights[r].length-1`. */
export interface FilterBank {
  nFilters: number;
  nBins: number;
  start: Int32Array;
  weights: Float64Array[];
}

/** Slaney's mel scale (librosa's default, `htk=False`): linear below 1 kHz, log above. */
export function hzToMel(hz: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return hz >= minLogHz ? minLogMel + Math.log(hz / minLogHz) / logStep : hz / fSp;
}

export function melToHz(mel: number): number {
  const fSp = 200 / 3;
  const minLogHz = 1000;
  const minLogMel = minLogHz / fSp;
  const logStep = Math.log(6.4) / 27;
  return mel >= minLogMel ? minLogHz * Math.exp(logStep * (mel - minLogMel)) : fSp * mel;
}

/** `np.linspace(start, stop, n)` with numpy's arithmetic (step * i + start, exact endpoint). */
export function linspace(start: number, stop: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const step = (stop - start) / (n - 1);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  if (n > 1) out[n - 1] = stop;
  return out;
}

function toFloat32(x: number): number {
  return Math.fround(x);
}

function sparsify(dense: Float64Array[], nBins: number): FilterBank {
  const start = new Int32Array(dense.length);
  const weights = dense.map((row, r) => {
    let lo = 0;
    while (lo < nBins && row[lo] === 0) lo++;
    let hi = nBins - 1;
    while (hi >= lo && row[hi] === 0) hi--;
    start[r] = lo;
    return row.slice(lo, hi + 1);
  });
  return { nFilters: dense.length, nBins, start, weights };
}

/**
 * `librosa.filters.mel(sr, n_fft, n_mels, fmin, fmax, htk=False, norm='slaney')`: triangles on
 * the Slaney mel scale, each scaled to unit area (2 / bandwidth). Weights are rounded to float32
 * as librosa stores them.
 */
export function melFilterBank(
  sampleRateHz: number,
  nFft: number,
  nMels: number,
  fMinHz = 0,
  fMaxHz = sampleRateHz / 2,
): FilterBank {
  const nBins = Math.floor(nFft / 2) + 1;
  const fftFreqs = linspace(0, sampleRateHz / 2, nBins);
  const mels = linspace(hzToMel(fMinHz), hzToMel(fMaxHz), nMels + 2);
  const melF = Array.from(mels, melToHz);
  const rows: Float64Array[] = [];
  for (let i = 0; i < nMels; i++) {
    const row = new Float64Array(nBins);
    const lowDiff = melF[i + 1] - melF[i];
    const highDiff = melF[i + 2] - melF[i + 1];
    const enorm = 2 / (melF[i + 2] - melF[i]);
    for (let k = 0; k < nBins; k++) {
      const lower = -(melF[i] - fftFreqs[k]) / lowDiff;
      const upper = (melF[i + 2] - fftFreqs[k]) / highDiff;
      const w = Math.max(0, Math.min(lower, upper));
      row[k] = toFloat32(toFloat32(w) * enorm);
    }
    rows.push(row);
  }
  return sparsify(rows, nBins);
}

/** `log2(f / (A440 / 16))`: octaves above C0-ish, librosa's `hz_to_octs`. */
export function hzToOcts(hz: number, tuning = 0, binsPerOctave = 12): number {
  const a440 = 440 * 2 ** (tuning / binsPerOctave);
  return Math.log2(hz / (a440 / 16));
}

/**
 * `librosa.filters.chroma(sr, n_fft, tuning, n_chroma=12, ctroct=5, octwidth=2, norm=2,
 * base_c=True)`: Gaussian bumps per pitch class over each FFT bin, columns L2-normalised, then
 * weighted by an octave-wide Gaussian centred on C5.
 */
export function chromaFilterBank(
  sampleRateHz: number,
  nFft: number,
  tuning = 0,
  nChroma = 12,
): FilterBank {
  const ctroct = 5;
  const octwidth = 2;
  const frqbins = new Float64Array(nFft);
  for (let k = 1; k < nFft; k++) {
    frqbins[k] = nChroma * hzToOcts((k * sampleRateHz) / nFft, tuning, nChroma);
  }
  // librosa invents the 0 Hz bin 1.5 octaves below bin 1.
  frqbins[0] = frqbins[1] - 1.5 * nChroma;
  const binWidth = new Float64Array(nFft);
  for (let k = 0; k < nFft - 1; k++) binWidth[k] = Math.max(frqbins[k + 1] - frqbins[k], 1);
  binWidth[nFft - 1] = 1;
  const half = Math.round(nChroma / 2);
  const dense: Float64Array[] = Array.from({ length: nChroma }, () => new Float64Array(nFft));
  for (let k = 0; k < nFft; k++) {
    let norm = 0;
    for (let c = 0; c < nChroma; c++) {
      const x = frqbins[k] - c + half + 10 * nChroma;
      const d = (((x % nChroma) + nChroma) % nChroma) - half;
      const v = Math.exp(-0.5 * ((2 * d) / binWidth[k]) ** 2);
      dense[c][k] = v;
      norm += v * v;
    }
    norm = Math.sqrt(norm);
    const octWeight = Math.exp(-0.5 * ((frqbins[k] / nChroma - ctroct) / octwidth) ** 2);
    for (let c = 0; c < nChroma; c++) dense[c][k] = (dense[c][k] / norm) * octWeight;
  }
  // base_c: roll so that row 0 is C rather than A.
  const shift = 3 * Math.floor(nChroma / 12);
  const nBins = Math.floor(nFft / 2) + 1;
  const rows: Float64Array[] = [];
  for (let c = 0; c < nChroma; c++) {
    const src = dense[(c + shift) % nChroma];
    rows.push(Float64Array.from(src.subarray(0, nBins), toFloat32));
  }
  return sparsify(rows, nBins);
}

/** Applies a filter bank to a frame-major spectrogram; returns feature-major `[nFilters][nFrames]`. */
export function applyFilterBank(
  bank: FilterBank,
  spec: Float64Array,
  nFrames: number,
): Float64Array {
  const out = new Float64Array(bank.nFilters * nFrames);
  for (let t = 0; t < nFrames; t++) {
    const base = t * bank.nBins;
    for (let r = 0; r < bank.nFilters; r++) {
      const w = bank.weights[r];
      const s = base + bank.start[r];
      let acc = 0;
      for (let i = 0; i < w.length; i++) acc += w[i] * spec[s + i];
      out[r * nFrames + t] = acc;
    }
  }
  return out;
}

/** Orthonormal DCT-II matrix (scipy `dct(type=2, norm='ortho')`), first `nOut` rows of n. */
export function dctOrthoMatrix(nOut: number, n: number): Float64Array {
  const m = new Float64Array(nOut * n);
  for (let k = 0; k < nOut; k++) {
    const scale = k === 0 ? Math.sqrt(1 / n) : Math.sqrt(2 / n);
    for (let i = 0; i < n; i++) {
      m[k * n + i] = scale * Math.cos((Math.PI * k * (2 * i + 1)) / (2 * n));
    }
  }
  return m;
}
