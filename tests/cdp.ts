/**
 * Driving headless Chromium over the Chrome DevTools Protocol (Deno only): launch it, open a
 * page, evaluate expressions in it, set file inputs, take screenshots. Enough for the live
 * page's browser test, with no dependency beyond Deno's WebSocket.
 */
import { CHROMIUM } from "../lib/notebook/chromium.ts";

export interface CdpPage {
  /** Evaluates `expression` in the page and returns its (JSON-serialisable) value. */
  evaluate<T = unknown>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy; returns its value or throws after `timeoutMs`. */
  waitFor<T = unknown>(expression: string, timeoutMs?: number, what?: string): Promise<T>;
  setFileInput(selector: string, files: string[]): Promise<void>;
  screenshot(): Promise<Uint8Array>;
}

export interface CdpBrowser {
  open(url: string, size?: { width: number; height: number }): Promise<CdpPage>;
  close(): Promise<void>;
}

interface Pending {
  resolve: (v: Record<string, unknown>) => void;
  reject: (e: Error) => void;
}

async function devtoolsUrl(stderr: ReadableStream<Uint8Array>, timeoutMs: number) {
  const reader = stderr.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  const timer = setTimeout(() => reader.cancel().catch(() => {}), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += decoder.decode(value, { stream: true });
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
      if (m) {
        // Keep draining stderr so Chromium never blocks on a full pipe.
        (async () => {
          try {
            while (!(await reader.read()).done) { /* discard */ }
          } catch { /* closed */ }
        })();
        return m[1];
      }
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`chromium did not open DevTools; it said:\n${seen.slice(-1500)}`);
}

/** Launches headless Chromium (`--no-sandbox --disable-gpu`) with `extraArgs`. */
export async function launchBrowser(extraArgs: string[] = []): Promise<CdpBrowser> {
  const profile = await Deno.makeTempDir({ prefix: "ser-chromium-" });
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      ...extraArgs,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let ws: WebSocket;
  try {
    const url = await devtoolsUrl(child.stderr, 30000);
    ws = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error(`cannot connect to ${url}`));
    });
  } catch (err) {
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
    throw err;
  }
  let nextId = 1;
  const pending = new Map<number, Pending>();
  ws.onmessage = (e) => {
    const msg = JSON.parse(e.data as string);
    const p = msg.id ? pending.get(msg.id) : undefined;
    if (!p) return;
    pending.delete(msg.id);
    if (msg.error) p.reject(new Error(`CDP: ${msg.error.message}`));
    else p.resolve(msg.result ?? {});
  };
  const send = (method: string, params: unknown = {}, sessionId?: string) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });

  return {
    async open(url, size = { width: 1200, height: 900 }) {
      const { targetId } = await send("Target.createTarget", { url: "about:blank" });
      const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true }) as {
        sessionId: string;
      };
      const s = (method: string, params: unknown = {}) => send(method, params, sessionId);
      await s("Page.enable");
      await s("Runtime.enable");
      await s("Emulation.setDeviceMetricsOverride", {
        width: size.width,
        height: size.height,
        deviceScaleFactor: 1,
        mobile: false,
      });
      await s("Page.navigate", { url });
      const page: CdpPage = {
        async evaluate<T>(expression: string) {
          const r = await s("Runtime.evaluate", {
            expression,
            returnByValue: true,
            awaitPromise: true,
          }) as { result: { value?: T }; exceptionDetails?: { text: string } };
          if (r.exceptionDetails) {
            throw new Error(`page: ${expression}: ${JSON.stringify(r.exceptionDetails)}`);
          }
          return r.result.value as T;
        },
        async waitFor<T>(expression: string, timeoutMs = 30000, what = expression) {
          const until = Date.now() + timeoutMs;
          let last: unknown;
          while (Date.now() < until) {
            try {
              last = await page.evaluate<T>(expression);
              if (last) return last as T;
            } catch (err) {
              last = (err as Error).message;
            }
            await new Promise((r) => setTimeout(r, 200));
          }
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`,
          );
        },
        async setFileInput(selector, files) {
          const { root } = await s("DOM.getDocument") as { root: { nodeId: number } };
          const { nodeId } = await s("DOM.querySelector", { nodeId: root.nodeId, selector }) as {
            nodeId: number;
          };
          if (!nodeId) throw new Error(`page: no element matches ${selector}`);
          await s("DOM.setFileInputFiles", { nodeId, files });
        },
        async screenshot() {
          const { data } = await s("Page.captureScreenshot", { format: "png" }) as {
            data: string;
          };
          return Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
        },
      };
      return page;
    },
    async close() {
      try {
        await Promise.race([send("Browser.close"), new Promise((r) => setTimeout(r, 3000))]);
      } catch { /* already gone */ }
      ws.close();
      try {
        child.kill("SIGKILL");
      } catch { /* exited */ }
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
