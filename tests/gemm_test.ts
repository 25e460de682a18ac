/**
 * The three GEMMs: the WebAssembly SIMD kernel and native BLAS against the JavaScript reference
 * (every transpose, accumulation, edge sizes), `train.gemm` choosing between them, and the
 * WebAssembly kernel giving the same bits for a row whether it is computed alone or with others.
 */
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { type Gemm, jsGemm } from "../lib/model/gemm.ts";
import {
  chooseGemm,
  compilerCpuFlags,
  loadNativeGemm,
  openblasCoreFor,
  readCpuFlags,
} from "../lib/model/blas_ffi.ts";
import { createWasmGemm } from "../lib/model/gemm_wasm.ts";
import { createRng } from "../lib/util/random.ts";
import { DEFAULT_CONFIG, parseArgs } from "../lib/config/config.ts";

const native = loadNativeGemm(1);

function random(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** Every transpose and accumulate mode on sizes around the kernel's 4 x 8 tiles and 256-sum blocks. */
function agreesWithReference(gemm: Gemm): void {
  const sizes = [[1, 1, 1], [3, 5, 7], [4, 8, 256], [37, 29, 53], [130, 17, 300], [9, 70, 513]];
  for (const [m, n, k] of sizes) {
    const a = random(m * k, m);
    const b = random(k * n, n);
    const c0 = random(m * n, k);
    for (const ta of [false, true]) {
      for (const tb of [false, true]) {
        for (const acc of [false, true]) {
          const want = c0.slice();
          const got = c0.slice();
          jsGemm.sgemm(ta, tb, m, n, k, a, b, want, acc);
          gemm.sgemm(ta, tb, m, n, k, a, b, got, acc);
          const what = `${gemm.name} ${m}x${n}x${k} transA=${ta} transB=${tb} accumulate=${acc}`;
          for (let i = 0; i < want.length; i++) {
            assertAlmostEquals(got[i], want[i], 1e-4 * Math.sqrt(k) + 1e-5, what);
          }
        }
      }
    }
  }
}

Deno.test("wasm GEMM agrees with the JavaScript reference in every mode and at tile edges", () => {
  const wasm = createWasmGemm();
  assert(wasm, "Deno's V8 has WebAssembly SIMD");
  agreesWithReference(wasm);
  // k = 0 is an empty sum: C is zeroed, or left as it is when accumulating.
  const c = Float32Array.from([1, 2, 3, 4]);
  wasm.sgemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), c, true);
  assertEquals(Array.from(c), [1, 2, 3, 4]);
  wasm.sgemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), c);
  assertEquals(Array.from(c), [0, 0, 0, 0]);
});

Deno.test({
  name: "native BLAS through FFI agrees with the JavaScript reference in every mode",
  ignore: !native.gemm,
  fn: () => agreesWithReference(native.gemm!),
});

Deno.test("wasm GEMM: a block of rows or columns gets the same bits as in the whole product", () => {
  // What makes splitting one network's products over threads leave its numbers unchanged.
  const wasm = createWasmGemm()!;
  const [m, n, k] = [203, 70, 700];
  const a = random(m * k, 1);
  const b = random(k * n, 2);
  const whole = new Float32Array(m * n);
  wasm.sgemm(false, false, m, n, k, a, b, whole);
  const rows = new Float32Array(50 * n);
  wasm.sgemm(false, false, 50, n, k, a.subarray(101 * k), b, rows);
  assertEquals(Array.from(rows), Array.from(whole.subarray(101 * n, 151 * n)));
  const bCols = new Float32Array(k * 13);
  for (let p = 0; p < k; p++) bCols.set(b.subarray(p * n + 40, p * n + 53), p * 13);
  const cols = new Float32Array(m * 13);
  wasm.sgemm(false, false, m, 13, k, a, bCols, cols);
  for (let i = 0; i < m; i++) {
    assertEquals(
      Array.from(cols.subarray(i * 13, i * 13 + 13)),
      Array.from(whole.subarray(i * n + 40, i * n + 53)),
    );
  }
});

Deno.test("train.gemm: auto takes native BLAS when it loads, else wasm; each mode says what it uses", () => {
  const auto = chooseGemm("auto", 1);
  if (native.gemm) {
    assert(auto.gemm.name.includes("openblas") || auto.gemm.name.includes("blas"), auto.note);
  } else assert(auto.gemm.name.startsWith("wasm"), auto.note);
  assert(chooseGemm("wasm", 1).gemm.name.startsWith("wasm"));
  assertEquals(chooseGemm("js", 1).gemm.name, "js");
  if (native.gemm) assert(!chooseGemm("blas", 1).gemm.name.startsWith("wasm"));
  assertEquals(parseArgs(["--train.gemm=wasm"], DEFAULT_CONFIG).config.train.gemm, "wasm");
  assertThrows(
    () => parseArgs(["--train.gemm=cuda"], DEFAULT_CONFIG),
    Error,
    "train.gemm must be one of auto, blas, wasm, js",
  );
});

Deno.test("without native BLAS, auto falls back to wasm and train.gemm=blas is an error saying how to get it", async () => {
  // A process without --allow-ffi can load no library, as on a machine without OpenBLAS.
  const code = `
    import { chooseGemm } from "${new URL("../lib/model/blas_ffi.ts", import.meta.url).href}";
    console.log(chooseGemm("auto", 1).note);
    try { chooseGemm("blas", 1); } catch (e) { console.log(e.message); }`;
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(script, code);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-config", "--allow-read", "--allow-env", script],
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.remove(script);
  const text = new TextDecoder().decode(out.stdout);
  assert(out.success, new TextDecoder().decode(out.stderr));
  const [autoNote, blasError] = text.trim().split("\n");
  assert(autoNote.startsWith("gemm: wasm-simd"), autoNote);
  assert(blasError.includes("train.gemm=blas: no native BLAS loaded"), blasError);
  assert(blasError.includes("apt-get install libopenblas0-pthread"), blasError);
});

Deno.test("OpenBLAS is told its AVX-512 kernels on Intel CPUs its detection does not know", () => {
  // An Emerald Rapids core (cpuinfo model 207), which OpenBLAS 0.3.21 runs with SSE3 kernels.
  const xeon = readCpuFlags(
    "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel\t\t: 207\n" +
      "flags\t\t: fpu sse3 avx avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl\n",
  );
  assertEquals(openblasCoreFor(xeon), "SkylakeX");
  const laptop = readCpuFlags("vendor_id\t: GenuineIntel\nflags\t\t: sse3 avx avx2 fma\n");
  assertEquals(openblasCoreFor(laptop), "Haswell");
  const old = readCpuFlags("vendor_id\t: GenuineIntel\nflags\t\t: sse3 avx\n");
  assertEquals(openblasCoreFor(old), null, "no better kernels to name");
  const epyc = readCpuFlags("vendor_id\t: AuthenticAMD\nflags\t\t: avx2 fma avx512f avx512bw\n");
  assertEquals(openblasCoreFor(epyc), null, "OpenBLAS knows AMD's cores itself");
  assertEquals(openblasCoreFor(null), null);
});

Deno.test("the CPU's features read through libgcc's __cpu_model agree with /proc/cpuinfo", async () => {
  const fromGcc = compilerCpuFlags();
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64" || !fromGcc) {
    console.warn("skipped: no glibc x86-64 libgcc_s here");
    return;
  }
  // Deno reads /proc only with --allow-all; cat can.
  const out = await new Deno.Command("cat", { args: ["/proc/cpuinfo"], stdout: "piped" }).output();
  const fromProc = readCpuFlags(new TextDecoder().decode(out.stdout))!;
  assertEquals(fromGcc.vendor, fromProc.vendor);
  for (const f of ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq"]) {
    assertEquals(fromGcc.flags.has(f), fromProc.flags.has(f), f);
  }
  assertEquals(openblasCoreFor(fromGcc), openblasCoreFor(fromProc));
});
