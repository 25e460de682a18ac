/// <reference lib="deno.worker" />
/**
 * `deno task bench train`'s helper: an idle core serving a busy network's link with a GEMM of
 * the same kind, as an idle training worker does (`lib/model/split_gemm.ts`).
 */
import { chooseGemm } from "../lib/model/blas_ffi.ts";
import type { GemmMode } from "../lib/model/gemm.ts";
import { type HelperLink, serveHelper } from "../lib/model/split_gemm.ts";

self.onmessage = (ev: MessageEvent<{ link: HelperLink; gemm: GemmMode }>) => {
  serveHelper(ev.data.link, chooseGemm(ev.data.gemm, 1).gemm);
  self.postMessage("released");
};
