/** Deno-only: a progress sink on stderr. */
import type { ProgressSink } from "./progress.ts";

export function stderrSink(): ProgressSink {
  const enc = new TextEncoder();
  return {
    write: (text) => void Deno.stderr.writeSync(enc.encode(text)),
    isTerminal: Deno.stderr.isTerminal() && !Deno.env.get("CI"),
  };
}
