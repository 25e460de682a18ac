/**
 * Native SGEMM through Deno's FFI (Deno only; needs --allow-ffi). Training the seed network is
 * almost all matrix multiplies once convolutions are lowered to im2col, and OpenBLAS on two cores
 * does them ~100x faster than JavaScript and ~10x faster than single-threaded WebAssembly SIMD.
 * When no library loads, `chooseGemm` falls back to the WebAssembly SIMD kernel.
 */
import { type Gemm, type GemmMode, jsGemm } from "./gemm.ts";
import { createWasmGemm } from "./gemm_wasm.ts";

const CBLAS_ROW_MAJOR = 101;
const CBLAS_NO_TRANS = 111;
const CBLAS_TRANS = 112;

/** Library names tried in order; SER_BLAS_LIB (a path) goes first when set. */
export const BLAS_CANDIDATES = [
  "libopenblas.so.0",
  "libopenblas.so",
  "libcblas.so.3",
  "libblas.so.3",
  "/System/Library/Frameworks/Accelerate.framework/Accelerate",
  "libopenblas.dll",
];

const SYMBOLS = {
  cblas_sgemm: {
    parameters: [
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "i32",
      "f32",
      "buffer",
      "i32",
      "buffer",
      "i32",
      "f32",
      "buffer",
      "i32",
    ],
    result: "void",
  },
} as const;

export interface NativeGemmResult {
  gemm: Gemm | null;
  /** Why each candidate failed, for the message printed when falling back. */
  tried: string[];
}

function hasFfiPermission(): boolean {
  try {
    return Deno.permissions.querySync({ name: "ffi" }).state === "granted";
  } catch {
    return false;
  }
}

/** The CPU features that decide OpenBLAS's kernels, from `/proc/cpuinfo` (Linux; else null). */
export interface CpuFlags {
  vendor: string;
  flags: Set<string>;
}

export function readCpuFlags(cpuinfo?: string): CpuFlags | null {
  let text = cpuinfo;
  if (text === undefined) {
    try {
      text = Deno.readTextFileSync("/proc/cpuinfo");
    } catch {
      return null;
    }
  }
  const field = (name: string) =>
    text!.match(new RegExp(`^${name}\\s*:\\s*(.*)$`, "m"))?.[1].trim() ?? "";
  return { vendor: field("vendor_id"), flags: new Set(field("flags").split(/\s+/)) };
}

/**
 * The kernel set OpenBLAS should be told to use (`OPENBLAS_CORETYPE`), or null to let it
 * detect. OpenBLAS 0.3.21 (Debian 12's) does not know Intel's newer server models (Sapphire and
 * Emerald Rapids, cpuinfo model 143 and 207) and falls back to `Prescott`, its SSE3 kernels:
 * measured 20-23 GFLOP/s on one core there against 92-125 with `SkylakeX`'s AVX-512 kernels.
 * Every Intel CPU with AVX-512 (F, BW, VL, DQ, CD) runs SkylakeX's kernels, and one with AVX2 and
 * FMA Haswell's, so naming them loses nothing where detection works. Other vendors are left to
 * OpenBLAS, which knows AMD's Zen cores.
 */
export function openblasCoreFor(cpu: CpuFlags | null): string | null {
  if (!cpu || cpu.vendor !== "GenuineIntel") return null;
  const has = (...f: string[]) => f.every((x) => cpu.flags.has(x));
  if (has("avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd")) return "SkylakeX";
  if (has("avx2", "fma")) return "Haswell";
  return null;
}

/**
 * The first 32 feature bits of GCC's `__builtin_cpu_supports` (its documented ABI, in order);
 * they include the AVX-512 ones, and GCC sets them only when the OS saves the vector state.
 */
const GCC_FEATURE_BITS = [
  "cmov",
  "mmx",
  "popcnt",
  "sse",
  "sse2",
  "sse3",
  "ssse3",
  "sse4_1",
  "sse4_2",
  "avx",
  "avx2",
  "sse4a",
  "fma4",
  "xop",
  "fma",
  "avx512f",
  "bmi1",
  "bmi2",
  "aes",
  "pclmulqdq",
  "avx512vl",
  "avx512bw",
  "avx512dq",
  "avx512cd",
  "avx512er",
  "avx512pf",
  "avx512vbmi",
  "avx512ifma",
  "avx5124vnniw",
  "avx5124fmaps",
  "avx512_vpopcntdq",
  "avx512_vbmi2",
]; // deno-fmt-ignore

/**
 * The CPU's features as the compiler runtime found them (`__cpu_model` in libgcc_s, which Deno's
 * own binary loads), read through FFI: Deno refuses to read `/proc/cpuinfo` without
 * `--allow-all`, and FFI is what loading OpenBLAS needs anyway. Null where there is no glibc
 * and libgcc_s (then OpenBLAS detects on its own).
 */
export function compilerCpuFlags(): CpuFlags | null {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      dlopen: { parameters: ["buffer", "i32"], result: "pointer" },
      dlvsym: { parameters: ["pointer", "buffer", "buffer"], result: "pointer" },
    });
    const text = (s: string) => new TextEncoder().encode(s + "\0");
    const RTLD_LAZY = 1;
    const gcc = libc.symbols.dlopen(text("libgcc_s.so.1"), RTLD_LAZY);
    const model = gcc && libc.symbols.dlvsym(gcc, text("__cpu_model"), text("GCC_4.8.0"));
    if (!model) return null;
    // struct { unsigned vendor, type, subtype; unsigned features[1]; }
    const view = new Deno.UnsafePointerView(model);
    const vendor = ["", "GenuineIntel", "AuthenticAMD"][view.getUint32(0)] ?? "";
    const bits = view.getUint32(12);
    const flags = new Set(GCC_FEATURE_BITS.filter((_, i) => (bits >>> i) & 1));
    return vendor ? { vendor, flags } : null;
  } catch {
    return null;
  }
}

/** Names OpenBLAS's kernels before it loads, unless the user already chose them. */
function chooseOpenblasCore(): string | null {
  try {
    const chosen = Deno.env.get("OPENBLAS_CORETYPE");
    if (chosen) return chosen;
    let cpu = null;
    try {
      cpu = readCpuFlags();
    } catch {
      // not readable under these permissions
    }
    const core = openblasCoreFor(cpu ?? compilerCpuFlags());
    if (core) Deno.env.set("OPENBLAS_CORETYPE", core);
    return core;
  } catch {
    return null; // no --allow-env or --allow-read: OpenBLAS detects on its own
  }
}

export function loadNativeGemm(threads: number): NativeGemmResult {
  const tried: string[] = [];
  if (!hasFfiPermission()) return { gemm: null, tried: ["no --allow-ffi permission"] };
  const core = chooseOpenblasCore();
  let envPath: string | undefined;
  try {
    envPath = Deno.env.get("SER_BLAS_LIB") ?? undefined;
  } catch {
    envPath = undefined;
  }
  const candidates = envPath ? [envPath, ...BLAS_CANDIDATES] : BLAS_CANDIDATES;
  for (const path of candidates) {
    let lib: Deno.DynamicLibrary<typeof SYMBOLS>;
    try {
      lib = Deno.dlopen(path, SYMBOLS);
    } catch (err) {
      tried.push(`${path}: ${(err as Error).message.split("\n")[0]}`);
      continue;
    }
    setThreads(path, threads);
    const sgemm = lib.symbols.cblas_sgemm;
    const label = path.replace(/^.*\//, "").replace(/\.(so|dll).*$/, "");
    const kernels = openblasCoreName(path) ?? core;
    const gemm: Gemm = {
      name: `${label} (${threads} thread${threads === 1 ? "" : "s"}${
        kernels ? `, ${kernels} kernels` : ""
      })`,
      sgemm(transA, transB, m, n, k, a, b, c, accumulate = false) {
        if (m === 0 || n === 0) return;
        if (k === 0) {
          if (!accumulate) c.fill(0, 0, m * n);
          return;
        }
        sgemm(
          CBLAS_ROW_MAJOR,
          transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
          transB ? CBLAS_TRANS : CBLAS_NO_TRANS,
          m,
          n,
          k,
          1,
          a,
          transA ? m : k,
          b,
          transB ? k : n,
          accumulate ? 1 : 0,
          c,
          n,
        );
      },
    };
    return { gemm, tried };
  }
  return { gemm: null, tried };
}

/** The kernel set OpenBLAS runs (`openblas_get_corename`), or null where it is not OpenBLAS. */
function openblasCoreName(path: string): string | null {
  try {
    const lib = Deno.dlopen(path, {
      openblas_get_corename: { parameters: [], result: "pointer" },
    });
    const name = lib.symbols.openblas_get_corename();
    return name ? new Deno.UnsafePointerView(name).getCString() : null;
  } catch {
    return null;
  }
}

/** OpenBLAS picks its thread count once per process; set it explicitly so runs are comparable. */
function setThreads(path: string, threads: number): void {
  try {
    const lib = Deno.dlopen(path, {
      openblas_set_num_threads: { parameters: ["i32"], result: "void" },
    });
    lib.symbols.openblas_set_num_threads(threads);
  } catch {
    // Not OpenBLAS (e.g. reference BLAS or Accelerate): nothing to set.
  }
}

/**
 * The GEMM a run uses, and a line saying which and why (printed and recorded). `auto` takes
 * native BLAS when it loads and the WebAssembly SIMD kernel otherwise; `blas` and `wasm` insist
 * on theirs (an error saying why it is missing); `js` is the slow reference.
 */
export function chooseGemm(mode: GemmMode, threads: number): { gemm: Gemm; note: string } {
  if (mode === "js") return { gemm: jsGemm, note: "gemm: JavaScript reference (train.gemm=js)" };
  if (mode === "wasm") {
    const wasm = createWasmGemm();
    if (!wasm) throw new Error("train.gemm=wasm: this runtime has no WebAssembly SIMD");
    return { gemm: wasm, note: `gemm: ${wasm.name} (train.gemm=wasm)` };
  }
  const native = loadNativeGemm(threads);
  if (native.gemm) return { gemm: native.gemm, note: `gemm: ${native.gemm.name} via FFI` };
  if (mode === "blas") {
    throw new Error(
      `train.gemm=blas: no native BLAS loaded (install OpenBLAS, e.g. apt-get install ` +
        `libopenblas0-pthread, or set SER_BLAS_LIB to its path; tried: ${native.tried.join("; ")})`,
    );
  }
  const wasm = createWasmGemm();
  if (wasm) {
    return {
      gemm: wasm,
      note: `gemm: ${wasm.name}, portable (no native BLAS loaded; OpenBLAS is an optional ` +
        `speed-up: apt-get install libopenblas0-pthread)`,
    };
  }
  return {
    gemm: jsGemm,
    note: `gemm: JavaScript fallback, about 100x slower (no WebAssembly SIMD and no native BLAS; ` +
      `tried: ${native.tried.join("; ")})`,
  };
}
