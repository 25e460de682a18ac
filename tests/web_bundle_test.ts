/**
 * The live page's script is built from what `deno install` fetched: with the network cut off
 * (a fresh network namespace), bundling still works, so `deno task serve` starts offline.
 */
import { join } from "node:path";
import { assert } from "./assert.ts";

function canCutNetwork(): boolean {
  try {
    return new Deno.Command("unshare", { args: ["-n", "true"], stderr: "null" }).outputSync()
      .success;
  } catch {
    return false;
  }
}

Deno.test({
  name: "live page: the bundle builds with no network at all (esbuild comes from deno install)",
  ignore: !canCutNetwork(),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const out = join(dir, "app.js");
    const root = new URL("..", import.meta.url).pathname;
    const code = `import { buildLiveBundle } from "${root}lib/web/bundle.ts";\n` +
      `await buildLiveBundle(${JSON.stringify(out)});\n`;
    const script = join(dir, "build.ts");
    await Deno.writeTextFile(script, code);
    const res = await new Deno.Command("unshare", {
      args: [
        "-n",
        Deno.execPath(),
        "run",
        "-A",
        "--cached-only",
        "--config",
        `${root}deno.json`,
        script,
      ],
      cwd: root,
      // An empty Deno cache as well: nothing downloaded earlier (e.g. by `deno bundle`) helps.
      env: { DENO_DIR: join(dir, "deno-dir") },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const err = new TextDecoder().decode(res.stderr);
    assert(res.success, `offline bundle failed:\n${err}`);
    const js = await Deno.readTextFile(out);
    assert(js.length > 100_000 && js.includes("tensorflow"), "tfjs and the app are in the bundle");
    await Deno.remove(dir, { recursive: true });
  },
});
