/// <reference lib="deno.worker" />
/** Test worker: serves a helper link with the WebAssembly GEMM, as an idle training worker does. */
import { createWasmGemm } from "../../lib/model/gemm_wasm.ts";
import { type HelperLink, serveHelper } from "../../lib/model/split_gemm.ts";

self.onmessage = (ev: MessageEvent<{ link: HelperLink }>) => {
  serveHelper(ev.data.link, createWasmGemm()!);
  self.postMessage("released");
};
