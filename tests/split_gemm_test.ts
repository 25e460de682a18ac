/**
 * Large products in two fixed halves: close to the whole product, the same bits whether the
 * second half is computed here or on a helper thread, and the pool lends idle workers to the
 * last busy ones.
 */
import { assert, assertEquals } from "./assert.ts";
import {
  createHelperLink,
  createSplitGemm,
  helperAttached,
  MIN_SPLIT_WORK,
  releaseHelper,
  splitPoint,
} from "../lib/model/split_gemm.ts";
import { createWasmGemm } from "../lib/model/gemm_wasm.ts";
import { jsGemm } from "../lib/model/gemm.ts";
import { runPool } from "../lib/util/pool.ts";
import { createRng } from "../lib/util/random.ts";

function random(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

// The three products of a convolution layer, large enough to be split.
const CASES: [string, boolean, boolean, number, number, number][] = [
  ["forward (rows x depth . depth x filters)", false, false, 1000, 64, 200],
  ["input gradient (dy . W^T)", false, true, 1000, 200, 64],
  ["filter gradient (cols^T . dy)", true, false, 200, 64, 1000],
];

Deno.test("split products: the two fixed halves add up to the whole product", () => {
  assertEquals(splitPoint(1000), 496);
  assertEquals(splitPoint(40), 0);
  const split = createSplitGemm(jsGemm);
  for (const [what, ta, tb, m, n, k] of CASES) {
    assert(m * n * k >= MIN_SPLIT_WORK, `${what} is split`);
    const a = random(m * k, 1);
    const b = random(k * n, 2);
    const whole = new Float32Array(m * n);
    const halves = new Float32Array(m * n);
    jsGemm.sgemm(ta, tb, m, n, k, a, b, whole);
    split.sgemm(ta, tb, m, n, k, a, b, halves);
    for (let i = 0; i < whole.length; i++) {
      assert(Math.abs(halves[i] - whole[i]) < 1e-3, `${what}: element ${i}`);
    }
  }
});

Deno.test("split products: a helper thread gives the same bits as computing both halves here", async () => {
  const wasm = createWasmGemm()!;
  const link = createHelperLink();
  const worker = new Worker(new URL("./workers/gemm_helper_worker.ts", import.meta.url), {
    type: "module",
  });
  const released = new Promise((r) => (worker.onmessage = r));
  worker.postMessage({ link });
  // A loaded machine (CI's two cores) can take seconds to start a worker.
  for (let i = 0; i < 3000 && !helperAttached(link); i++) {
    await new Promise((r) => setTimeout(r, 10));
  }
  assert(helperAttached(link), "the helper attached");
  try {
    const alone = createSplitGemm(wasm);
    const helped = createSplitGemm(wasm, link);
    for (const [what, ta, tb, m, n, k] of CASES) {
      const a = random(m * k, 3);
      const b = random(k * n, 4);
      const c1 = new Float32Array(m * n);
      const c2 = new Float32Array(m * n);
      alone.sgemm(ta, tb, m, n, k, a, b, c1);
      helped.sgemm(ta, tb, m, n, k, a, b, c2);
      assertEquals(Array.from(c2), Array.from(c1), what);
    }
  } finally {
    releaseHelper(link);
    await released;
    worker.terminate();
  }
  assert(!helperAttached(link), "released");
});

Deno.test("pool: when no job is left, a free worker is lent to a busy one and released after", async () => {
  const events: string[] = [];
  await runPool<{ ms: number }, { kind: string; index?: number; busy?: number }>({
    workerUrl: new URL("./workers/pool_worker.ts", import.meta.url),
    size: 2,
    init: { kind: "init" },
    // Worker 0 takes the long job; worker 1 the two short ones, then has nothing left.
    jobs: [{ ms: 600 }, { ms: 20 }, { ms: 20 }],
    message: (j, index) => ({ kind: "job", index, ms: j.ms }),
    onReply: (r) => void events.push(r.kind === "done" ? `done ${r.index}` : `helping ${r.busy}`),
    endsJob: (r) => r.kind === "done",
    lend: {
      message: (free, busy) => (events.push(`lend ${free}->${busy}`), { kind: "help", busy }),
      release: (busy) => void events.push(`release ${busy}`),
    },
  });
  assertEquals(events, ["done 1", "done 2", "lend 1->0", "helping 0", "done 0", "release 0"]);
});
