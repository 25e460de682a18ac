/**
 * Large products in two fixed halves, the second of which another thread may compute.
 *
 * When fewer networks are left to train than there are cores, an idle worker lends itself to a
 * busy one and computes half of each of its large matrix products. A network's numbers must not
 * depend on that (or on the machine's core count), so every large product is *always* computed
 * as the same two halves, in this thread or on a helper alike:
 *
 * - `C = op(A) B` with A not transposed (convolution forward, input gradient): rows of C split at
 *   `splitPoint(m)`; each half is an ordinary product of contiguous row blocks.
 * - `C = A^T B` (filter gradient; A and B stored k x m and k x n): the summed axis split at
 *   `splitPoint(k)`; C = (first half's product) + (second half's product), added in that order.
 *
 * A helper computes its half with its own GEMM of the same kind (one-thread OpenBLAS, or the
 * WebAssembly kernel), which gives the same bits as this thread's. Operands travel through a
 * growable SharedArrayBuffer; the two threads meet with Atomics. No Deno APIs.
 */
import type { Gemm } from "./gemm.ts";

/** Products smaller than this many multiply-adds are not split (not worth a thread hop). */
export const MIN_SPLIT_WORK = 1 << 22;

/** Where an axis of length n is split: a multiple of 16 near the middle (0 when too short). */
export function splitPoint(n: number): number {
  return n < 64 ? 0 : Math.round(n / 32) * 16;
}

// Layout of a link's control words.
const STATE = 0;
const ATTACHED = 1;
const PARAMS = 2; // transA, transB, m, n, k, aOffset, bOffset, cOffset (floats)
const IDLE = 0;
const JOB = 1;
const DONE = 2;
const EXIT = 3;

/** What a busy training thread and its helper share. */
export interface HelperLink {
  ctrl: Int32Array;
  data: SharedArrayBuffer;
}

export function createHelperLink(maxBytes = 1 << 30): HelperLink {
  return {
    ctrl: new Int32Array(new SharedArrayBuffer(16 * 4)),
    data: new SharedArrayBuffer(0, { maxByteLength: maxBytes }),
  };
}

/** Whether a helper is serving this link right now. */
export function helperAttached(link: HelperLink): boolean {
  return Atomics.load(link.ctrl, ATTACHED) === 1;
}

/**
 * Serve `link` with `gemm` until `releaseHelper`: blocks this thread (a worker with nothing else
 * to do) between jobs.
 */
export function serveHelper(link: HelperLink, gemm: Gemm): void {
  const { ctrl } = link;
  Atomics.store(ctrl, ATTACHED, 1);
  for (;;) {
    Atomics.wait(ctrl, STATE, IDLE);
    const state = Atomics.load(ctrl, STATE);
    if (state === EXIT) break;
    if (state !== JOB) continue;
    const [ta, tb, m, n, k, aAt, bAt, cAt] = ctrl.subarray(PARAMS, PARAMS + 8);
    const data = new Float32Array(link.data);
    const aLen = m * k;
    const bLen = k * n;
    gemm.sgemm(
      ta === 1,
      tb === 1,
      m,
      n,
      k,
      data.subarray(aAt, aAt + aLen),
      data.subarray(bAt, bAt + bLen),
      data.subarray(cAt, cAt + m * n),
    );
    Atomics.store(ctrl, STATE, DONE);
    Atomics.notify(ctrl, STATE);
  }
  Atomics.store(ctrl, ATTACHED, 0);
  Atomics.store(ctrl, STATE, IDLE);
}

/** Ends a helper's service (called once the served network has finished training). */
export function releaseHelper(link: HelperLink): void {
  Atomics.store(link.ctrl, STATE, EXIT);
  Atomics.notify(link.ctrl, STATE);
}

/** A half handed to the helper; `wait` returns its C (a view into shared memory). */
function startOnHelper(
  link: HelperLink,
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
): { wait(): Float32Array } {
  const aLen = m * k;
  const bLen = k * n;
  const bytes = 4 * (aLen + bLen + m * n);
  if (link.data.byteLength < bytes) link.data.grow(bytes);
  const data = new Float32Array(link.data);
  data.set(a.subarray(0, aLen), 0);
  data.set(b.subarray(0, bLen), aLen);
  link.ctrl.set([+ta, +tb, m, n, k, 0, aLen, aLen + bLen], PARAMS);
  Atomics.store(link.ctrl, STATE, JOB);
  Atomics.notify(link.ctrl, STATE);
  return {
    wait() {
      while (Atomics.load(link.ctrl, STATE) === JOB) Atomics.wait(link.ctrl, STATE, JOB);
      Atomics.store(link.ctrl, STATE, IDLE);
      return data.subarray(aLen + bLen, aLen + bLen + m * n);
    },
  };
}

/**
 * `base` with large products computed as two fixed halves (see above); with `link`, the second
 * half goes to the helper whenever one is attached.
 */
export function createSplitGemm(base: Gemm, link?: HelperLink): Gemm {
  let scratch = new Float32Array(0);
  return {
    name: base.name,
    withArena: base.withArena && ((floats, staging, widest) => {
      const inner = base.withArena!(floats, staging, widest);
      return inner && { ...inner, gemm: createSplitGemm(inner.gemm, link) };
    }),
    sgemm(ta, tb, m, n, k, a, b, c, accumulate = false) {
      const helper = link && helperAttached(link) ? link : null;
      if (m * n * k < MIN_SPLIT_WORK || accumulate) {
        base.sgemm(ta, tb, m, n, k, a, b, c, accumulate);
        return;
      }
      if (!ta) {
        const h = splitPoint(m);
        if (h === 0) return base.sgemm(ta, tb, m, n, k, a, b, c);
        const rest = [m - h, n, k, a.subarray(h * k), b] as const;
        const pending = helper ? startOnHelper(helper, ta, tb, ...rest) : null;
        base.sgemm(ta, tb, h, n, k, a, b, c);
        if (pending) c.set(pending.wait(), h * n);
        else base.sgemm(ta, tb, m - h, n, k, a.subarray(h * k), b, c.subarray(h * n));
        return;
      }
      const h = splitPoint(k);
      if (tb || h === 0) return base.sgemm(ta, tb, m, n, k, a, b, c);
      // A^T B over the first h rows, plus over the rest: both stored as contiguous row blocks.
      const rest = [m, n, k - h, a.subarray(h * m), b.subarray(h * n)] as const;
      const pending = helper ? startOnHelper(helper, true, false, ...rest) : null;
      base.sgemm(true, false, m, n, h, a, b, c);
      let second: Float32Array;
      if (pending) second = pending.wait();
      else {
        if (scratch.length < m * n) scratch = new Float32Array(m * n);
        second = scratch.subarray(0, m * n);
        base.sgemm(true, false, ...rest, second);
      }
      for (let i = 0; i < m * n; i++) c[i] += second[i];
    },
  };
}
