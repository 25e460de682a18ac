/** The command-line wrapper: what every `deno task` command shares. */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";

function alive(pid: number): boolean {
  return new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" }).outputSync()
    .success;
}

Deno.test("cli: killing the task runner (kill -9 of `deno task ...`) stops the command it started", async () => {
  const dir = await Deno.makeTempDir();
  const pidFile = join(dir, "pid");
  const root = new URL("../", import.meta.url).pathname;
  const script = join(dir, "long.ts");
  await Deno.writeTextFile(
    script,
    `import { runCli } from "${root}lib/cli/common.ts";\n` +
      `await runCli(async () => {\n` +
      `  await Deno.writeTextFile(${JSON.stringify(pidFile)}, String(Deno.pid));\n` +
      `  await new Promise((r) => setTimeout(r, 30000));\n` +
      `});\n`,
  );
  // A stand-in for `deno task`: a parent process that starts the command and waits for it.
  const runner = new Deno.Command("bash", {
    args: ["-c", `"${Deno.execPath()}" run -A --config "${root}deno.json" "${script}" & wait`],
    env: { INIT_CWD: root },
    stdout: "null",
    stderr: "null",
  }).spawn();
  let pid = 0;
  for (let i = 0; i < 200 && !pid; i++) {
    await new Promise((r) => setTimeout(r, 50));
    pid = Number(await Deno.readTextFile(pidFile).catch(() => "0"));
  }
  assert(pid > 0, "the command started");
  runner.kill("SIGKILL");
  await runner.status;
  let gone = false;
  for (let i = 0; i < 60 && !gone; i++) {
    await new Promise((r) => setTimeout(r, 100));
    gone = !alive(pid);
  }
  if (!gone) Deno.kill(pid, "SIGKILL");
  assertEquals(gone, true, "the orphaned command stopped on its own within 6 s");
  await Deno.remove(dir, { recursive: true });
});
