/**
 * Instantiating the embedded WebAssembly kernels. Pure: no Deno APIs. Compiled modules are
 * cached per kernel; each call gets its own instance (and so its own memory), so a caller owns
 * its buffers. Null where the runtime lacks WebAssembly SIMD; every caller has a JS fallback.
 */
import { decodeBase64Bytes } from "../util/base64.ts";

const modules = new Map<string, WebAssembly.Module | null>();

export function instantiateKernel<T>(base64: string): (T & { memory: WebAssembly.Memory }) | null {
  if (!modules.has(base64)) {
    try {
      modules.set(base64, new WebAssembly.Module(decodeBase64Bytes(base64) as BufferSource));
    } catch {
      modules.set(base64, null);
    }
  }
  const mod = modules.get(base64);
  if (!mod) return null;
  return new WebAssembly.Instance(mod, { env: { abort: () => {} } }).exports as unknown as
    & T
    & { memory: WebAssembly.Memory };
}

/** Grows `memory` so that byte offsets below `end` are valid. */
export function ensureMemory(memory: WebAssembly.Memory, end: number): void {
  const pages = Math.ceil(end / 65536) - memory.buffer.byteLength / 65536;
  if (pages > 0) memory.grow(pages);
}
