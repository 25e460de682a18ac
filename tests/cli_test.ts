/** The command-line wrapper: what every `deno task` command shares. */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { writeSyntheticCorpus } from "./helpers.ts";

function alive(pid: number): boolean {
  return new Deno.Command("kill", { args: ["-0", String(pid)], stderr: "null" }).outputSync()
    .success;
}

Deno.test("cli: killing the task runner (kill -9 of `deno task ...`) stops the command it started", async () => {
  const dir = await Deno.makeTempDir();
  const pidFile = join(dir, "pid");
  const root = new URL("..", import.meta.url).pathname;
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

Deno.test({
  name:
    "cli: reproduce prints the default's number and its strict twin's, and finds the twin again next time",
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    await writeSyntheticCorpus(join(dir, "corpus"), [1, 2, 3, 4], [1, 3, 5, 6]);
    const root = new URL("..", import.meta.url).pathname;
    const reproduce = () =>
      new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "--config",
          join(root, "deno.json"),
          join(root, "lib/cli/reproduce.ts"),
          `--data=${join(dir, "corpus")}`,
          "--folds=2",
          "--epochs=1",
          "--ensemble=1",
          "--memberInputs=[]",
          "--temporal.filters=[8]",
          "--denseUnits=8",
          '--recipe=["original"]',
          `--cacheDir=${join(dir, "cache")}`,
          `--resultsDir=${join(dir, "results")}`,
        ],
        env: { INIT_CWD: root },
        stdout: "piped",
        stderr: "piped",
      }).output();
    const first = await reproduce();
    const out = new TextDecoder().decode(first.stdout);
    assert(first.success, new TextDecoder().decode(first.stderr));
    const lines = out.split("\n");
    const line = (name: string) => lines.find((l) => l.startsWith(`${name} `)) ?? "";
    assert(line("default").includes("per-speaker speaker normalisation"), out);
    assert(line("strict").includes("no statistics of a test voice"), out);
    assert(/accuracy \d+\.\d %/.test(line("strict")), line("strict"));
    const runs = [...Deno.readDirSync(join(dir, "results"))].filter((e) => e.isDirectory);
    assertEquals(runs.length, 2, "the default's run folder and the strict twin's");
    const again = await reproduce();
    assert(new TextDecoder().decode(again.stderr).includes("strict twin: found"));
    const strictDir = line("strict").split("; ").pop();
    assert(new TextDecoder().decode(again.stdout).includes(strictDir!), "the same strict run");
    await Deno.remove(dir, { recursive: true });
  },
});
