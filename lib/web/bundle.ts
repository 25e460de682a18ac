/**
 * Building the live page's script (Deno only): `deno bundle --platform=browser` on
 * `lib/web/app.ts`, which pulls in the same lib modules (decode, resample, features, scaler,
 * model) and tfjs from the project's npm dependencies. Written atomically.
 */
import { dirname, join } from "node:path";
import { PROJECT_ROOT } from "../corpus/locate.ts";

export const APP_ENTRY = join(PROJECT_ROOT, "lib", "web", "app.ts");

export async function buildLiveBundle(outPath: string): Promise<void> {
  await Deno.mkdir(dirname(outPath), { recursive: true });
  const tmp = `${outPath}.tmp-${crypto.randomUUID().slice(0, 8)}`;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--platform=browser", "--minify", "-o", tmp, APP_ENTRY],
    cwd: PROJECT_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`deno bundle ${APP_ENTRY} failed:\n${new TextDecoder().decode(out.stderr)}`);
  }
  await Deno.rename(tmp, outPath);
}
