/**
 * Frame-level features with librosa 0.9's definitions. Pure: no Deno APIs.
 * Every function returns feature-major arrays `[nFeatures][nFrames]`, like librosa.
 */
import { frameCount } from "./stft.ts";
import { hzToOcts, linspace } from "./filters.ts";

const FLOAT32_TINY = 1.1754943508222875e-38;

/**
 * `librosa.feature.zero_crossing_rate(y)`: frames of `frameLength` centred with *edge* padding;
 * samples with |x| <= 1e-10 count as zero (positive); rate = crossings / frameLength. Meyda counts
 * crossings of the raw buffer, with no threshold and no centring.
 */
export function zeroCrossingRate(
  y: ArrayLike<number>,
  frameLength: number,
  hopLength: number,
): Float64Array {
  // Edge padding repeats the end samples, which adds no sign changes: count changes between
  // consecutive samples of y only. changes[j] = sign changes among y[0..j].
  const half = Math.floor(frameLength / 2);
  const n = frameCount(y.length, frameLength, hopLength, true);
  const len = y.length;
  const changes = new Int32Array(len);
  const isNegative = (v: number) => Math.abs(v) > 1e-10 && v < 0;
  let prev = len > 0 && isNegative(y[0]);
  for (let j = 1; j < len; j++) {
    const neg = isNegative(y[j]);
    changes[j] = changes[j - 1] + (neg !== prev ? 1 : 0);
    prev = neg;
  }
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    // The frame compares padded neighbours (i-1, i) for i in (s, s + L - 1], i.e. signal
    // positions j = i - half in (s - half, s - half + L - 1], clipped to [1, len - 1].
    const s0 = t * hopLength - half;
    const hi = Math.min(s0 + frameLength - 1, len - 1);
    const lo = Math.max(s0, 0);
    out[t] = hi > lo ? (changes[hi] - changes[lo]) / frameLength : 0;
  }
  return out;
}

/**
 * `librosa.feature.rms(y)`: root of the mean square of each *unwindowed* frame, centred with
 * zero padding. Meyda's RMS is taken over its windowed buffer, which is not the same number.
 */
export function rmsEnergy(
  y: ArrayLike<number>,
  frameLength: number,
  hopLength: number,
): Float64Array {
  // Zero padding contributes nothing: sum over the frame's span clipped to the signal.
  const half = Math.floor(frameLength / 2);
  const n = frameCount(y.length, frameLength, hopLength, true);
  const out = new Float64Array(n);
  for (let t = 0; t < n; t++) {
    const lo = Math.max(0, t * hopLength - half);
    const hi = Math.min(y.length, t * hopLength - half + frameLength);
    let acc = 0;
    for (let i = lo; i < hi; i++) acc += y[i] * y[i];
    out[t] = Math.sqrt(acc / frameLength);
  }
  return out;
}

/**
 * `librosa.power_to_db(S, ref=1.0, amin=1e-10, top_db=80)`: 10 log10, floored at the
 * matrix-wide maximum minus `topDb`.
 */
export function powerToDb(
  power: Float64Array,
  amin = 1e-10,
  topDb: number | null = 80,
): Float64Array {
  const out = new Float64Array(power.length);
  let max = -Infinity;
  for (let i = 0; i < power.length; i++) {
    out[i] = 10 * Math.log10(Math.max(amin, power[i]));
    if (out[i] > max) max = out[i];
  }
  if (topDb !== null) {
    const floor = max - topDb;
    for (let i = 0; i < out.length; i++) if (out[i] < floor) out[i] = floor;
  }
  return out;
}

/**
 * `librosa.estimate_tuning(S=magnitude, sr, n_fft)`: parabolic-interpolated spectral peaks
 * between 150 Hz and 4 kHz (`piptrack`), keep those at or above the median peak magnitude, and
 * return the most common deviation from equal temperament, in fractions of a bin (0.01 steps).
 * Input is a frame-major magnitude spectrogram.
 */
export function estimateTuning(
  mag: Float64Array,
  nFrames: number,
  nBins: number,
  sampleRateHz: number,
  nFft: number,
): number {
  const fMin = 150;
  const fMax = Math.min(4000, sampleRateHz / 2);
  const threshold = 0.1;
  // Bins with fMin <= f < fMax, inside [1, nBins - 2] so both neighbours exist.
  const kLo = Math.max(1, Math.ceil((fMin * nFft) / sampleRateHz));
  let kHi = Math.min(nBins - 2, Math.floor((fMax * nFft) / sampleRateHz));
  if ((kHi * sampleRateHz) / nFft >= fMax) kHi--;
  const pitches = new Float64Array(nFrames * Math.max(0, kHi - kLo + 1));
  const mags = new Float64Array(pitches.length);
  let count = 0;
  for (let t = 0; t < nFrames; t++) {
    const o = t * nBins;
    let colMax = 0;
    for (let k = 0; k < nBins; k++) if (mag[o + k] > colMax) colMax = mag[o + k];
    const ref = threshold * colMax;
    for (let k = kLo; k <= kHi; k++) {
      // localmax of S * (S > ref): strictly above the left neighbour, at least the right one.
      const s0 = mag[o + k - 1], s1 = mag[o + k], s2 = mag[o + k + 1];
      const x = s1 > ref ? s1 : 0;
      if (!(x > (s0 > ref ? s0 : 0) && x >= (s2 > ref ? s2 : 0))) continue;
      const avg = 0.5 * (s2 - s0);
      let shift = 2 * s1 - s2 - s0;
      shift = avg / (shift + (Math.abs(shift) < Number.MIN_VALUE ? 1 : 0));
      const pitch = ((k + shift) * sampleRateHz) / nFft;
      if (pitch > 0) {
        pitches[count] = pitch;
        mags[count++] = s1 + 0.5 * avg * shift;
      }
    }
  }
  if (count === 0) return 0;
  const median = medianOf(mags.subarray(0, count));
  const selected: number[] = [];
  for (let i = 0; i < count; i++) if (mags[i] >= median) selected.push(pitches[i]);
  return pitchTuning(selected);
}

function medianOf(values: Float64Array): number {
  const s = values.slice().sort();
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** `librosa.pitch_tuning(freqs, resolution=0.01)`: histogram peak of semitone residuals. */
export function pitchTuning(frequencies: number[], resolution = 0.01, binsPerOctave = 12): number {
  const freqs = frequencies.filter((f) => f > 0);
  if (freqs.length === 0) return 0;
  const nEdges = Math.ceil(1 / resolution) + 1;
  const edges = linspace(-0.5, 0.5, nEdges);
  const nBinsHist = nEdges - 1;
  const counts = new Int32Array(nBinsHist);
  for (const f of freqs) {
    const octs = binsPerOctave * hzToOcts(f);
    let r = octs - Math.floor(octs); // np.mod(x, 1.0)
    if (r >= 0.5) r -= 1;
    // numpy.histogram's uniform-bin index, with its edge corrections.
    let idx = Math.trunc((r - edges[0]) * (nBinsHist / (edges[nBinsHist] - edges[0])));
    if (idx === nBinsHist) idx--;
    if (r < edges[idx]) idx--;
    else if (idx !== nBinsHist - 1 && r >= edges[idx + 1]) idx++;
    if (idx >= 0 && idx < nBinsHist) counts[idx]++;
  }
  let best = 0;
  for (let i = 1; i < nBinsHist; i++) if (counts[i] > counts[best]) best = i;
  return edges[best];
}

/**
 * `librosa.util.normalize(S, norm=inf, axis=0)` per frame. Frames whose maximum is below
 * float32's smallest normal (librosa's `tiny` threshold) are left as they are, so silence stays 0.
 */
export function normalizeColumnsMax(x: Float64Array, nRows: number, nFrames: number): void {
  for (let t = 0; t < nFrames; t++) {
    let m = 0;
    for (let r = 0; r < nRows; r++) m = Math.max(m, Math.abs(x[r * nFrames + t]));
    if (m < FLOAT32_TINY) continue;
    for (let r = 0; r < nRows; r++) x[r * nFrames + t] /= m;
  }
}

/**
 * Savitzky-Golay coefficients for derivative `deriv` of a degree-`polyorder` fit over `width`
 * points, evaluated at position `at` (0 = window centre).
 */
function savgolCoefficients(
  width: number,
  polyorder: number,
  deriv: number,
  at: number,
): Float64Array {
  const half = (width - 1) / 2;
  const p = polyorder + 1;
  // Normal equations A^T A c = A^T, A[i][j] = x_i^j.
  const ata = Array.from({ length: p }, () => new Float64Array(p));
  for (let i = 0; i < width; i++) {
    const x = i - half;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) ata[a][b] += x ** (a + b);
  }
  const inv = invert(ata);
  // d^deriv/dx^deriv of sum_j c_j x^j at x = at.
  const dvec = new Float64Array(p);
  for (let j = deriv; j < p; j++) {
    let f = 1;
    for (let q = 0; q < deriv; q++) f *= j - q;
    dvec[j] = f * at ** (j - deriv);
  }
  const coeffs = new Float64Array(width);
  for (let i = 0; i < width; i++) {
    const x = i - half;
    let s = 0;
    for (let a = 0; a < p; a++) {
      let row = 0;
      for (let b = 0; b < p; b++) row += inv[a][b] * x ** b;
      s += dvec[a] * row;
    }
    coeffs[i] = s;
  }
  return coeffs;
}

function invert(m: Float64Array[]): Float64Array[] {
  const n = m.length;
  const a = m.map((r, i) => {
    const row = new Float64Array(2 * n);
    row.set(r);
    row[n + i] = 1;
    return row;
  });
  for (let c = 0; c < n; c++) {
    let piv = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
    [a[c], a[piv]] = [a[piv], a[c]];
    const d = a[c][c];
    for (let j = 0; j < 2 * n; j++) a[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = a[r][c];
      for (let j = 0; j < 2 * n; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((r) => r.slice(n));
}

/**
 * `librosa.feature.delta(x, width=9, order, mode='interp')` along frames of a feature-major
 * matrix: a Savitzky-Golay derivative; the first and last `width/2` frames use the polynomial
 * fitted to the first/last full window, as scipy's `interp` mode does.
 */
export function delta(
  x: Float64Array,
  nRows: number,
  nFrames: number,
  order: 1 | 2 = 1,
  width = 9,
): Float64Array {
  if (nFrames < width) {
    throw new Error(`delta: need at least width=${width} frames, got ${nFrames}`);
  }
  const half = (width - 1) / 2;
  const centre = savgolCoefficients(width, order, order, 0);
  const edge = Array.from(
    { length: width },
    (_, i) => savgolCoefficients(width, order, order, i - half),
  );
  const out = new Float64Array(nRows * nFrames);
  for (let r = 0; r < nRows; r++) {
    const row = x.subarray(r * nFrames, (r + 1) * nFrames);
    for (let t = 0; t < nFrames; t++) {
      let coeffs: Float64Array;
      let start: number;
      if (t < half) {
        coeffs = edge[t];
        start = 0;
      } else if (t >= nFrames - half) {
        coeffs = edge[t - (nFrames - width)];
        start = nFrames - width;
      } else {
        coeffs = centre;
        start = t - half;
      }
      let acc = 0;
      for (let i = 0; i < width; i++) acc += coeffs[i] * row[start + i];
      out[r * nFrames + t] = acc;
    }
  }
  return out;
}
