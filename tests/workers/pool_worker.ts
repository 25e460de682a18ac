/// <reference lib="deno.worker" />
/** Test worker for the pool: jobs take `ms` milliseconds; "help" is answered at once. */
self.onmessage = async (
  ev: MessageEvent<{ kind: string; index?: number; ms?: number; busy?: number }>,
) => {
  const m = ev.data;
  if (m.kind === "job") {
    await new Promise((r) => setTimeout(r, m.ms));
    self.postMessage({ kind: "done", index: m.index });
  } else if (m.kind === "help") self.postMessage({ kind: "helping", busy: m.busy });
};
