/**
 * The package from outside: a scratch folder with its own deno.json that links this project
 * (`"links"`, no relative reach into lib/) imports `@ser/deno` and `@ser/deno/fs`, loads a run
 * and classifies a clip, with read permission only.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { DEFAULT_CONFIG, withOverrides } from "../lib/config/config.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { PROJECT_ROOT } from "../lib/util/project.ts";
import { voice, writeSyntheticRun } from "./synthetic_run.ts";

Deno.test({
  name: "a project outside the repository imports the package by name and classifies a clip",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      const config = withOverrides(DEFAULT_CONFIG, { "eval.speakerNorm": "none" });
      const runId = await writeSyntheticRun(join(tmp, "results"), config);
      await Deno.writeFile(join(tmp, "clip.wav"), encodeWav(voice(3, 16000), 16000));
      const app = join(tmp, "app");
      await Deno.mkdir(app);
      await Deno.writeTextFile(join(app, "deno.json"), JSON.stringify({ links: [PROJECT_ROOT] }));
      const source = `
import { classify } from "@ser/deno";
import { classifyFile, loadRun } from "@ser/deno/fs";
const run = await loadRun(Deno.args[0]);
const fromFile = await classifyFile(Deno.args[1], run);
const fromBytes = await classify(await Deno.readFile(Deno.args[1]), run, { name: Deno.args[1] });
console.log(JSON.stringify({ labels: run.labels, fromFile, fromBytes }));
`;
      await Deno.writeTextFile(join(app, "main.ts"), source);
      assert(!source.includes("lib/"), "no reach into the project's files");
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "--allow-read",
          "main.ts",
          join(tmp, "results", runId),
          join(tmp, "clip.wav"),
        ],
        cwd: app,
        stdout: "piped",
        stderr: "piped",
      }).output();
      const stderr = new TextDecoder().decode(out.stderr);
      assertEquals(out.code, 0, stderr);
      const answer = JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").pop()!);
      assertEquals(answer.labels.length, 8);
      assert(answer.fromFile.speech, JSON.stringify(answer.fromFile));
      assert(answer.labels.includes(answer.fromFile.predicted));
      const total = Object.values(answer.fromFile.probabilities as Record<string, number>)
        .reduce((a, b) => a + b, 0);
      assert(Math.abs(total - 1) < 1e-4, `probabilities sum to ${total}`);
      assertEquals(answer.fromBytes, answer.fromFile, "bytes and file give one answer");
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
