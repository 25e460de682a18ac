/**
 * The tfjs backend for training and inference. Training uses tfjs's `cpu` backend with the
 * kernels of `cpu_kernels.ts` (im2col + GEMM convolutions) and large products split in two fixed
 * halves (`split_gemm.ts`); the GEMM is injected so this module stays free of Deno APIs.
 */
import * as tf from "@tensorflow/tfjs";
import type { Gemm } from "./gemm.ts";
import { registerFastCpuKernels } from "./cpu_kernels.ts";
import { createSplitGemm, type HelperLink } from "./split_gemm.ts";

export interface TrainingBackend {
  gemm: Gemm;
  /**
   * `gemm` computing large products as two fixed halves (the second on the helper thread of
   * `link` when one is attached): what both engines train with.
   */
  product: Gemm;
  /** Puts tfjs's stock cpu kernels back. */
  restore: () => void;
}

/**
 * Select the cpu backend and install the fast kernels. The cpu backend prints a "use tfjs-node"
 * banner on first use under Deno; it does not apply here (tfjs-node is a Node addon), so it is
 * marked as already shown.
 */
export async function useTrainingBackend(
  gemm: Gemm,
  opts: { kernels?: "fused" | "stock"; link?: HelperLink } = {},
): Promise<TrainingBackend> {
  await tf.setBackend("cpu");
  await tf.ready();
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
  // With the fused kernels (`train.kernels`), large products always come in the same two halves,
  // so a helper thread (`link`) changes only the time they take, never their bits; `stock` keeps
  // every product whole, as runs before the fused kernels computed them.
  const fused = (opts.kernels ?? "fused") === "fused";
  const product = createSplitGemm(gemm, opts.link);
  const restore = registerFastCpuKernels(fused ? product : gemm, "cpu", { rank2MatMul: fused });
  return { gemm, product, restore };
}
