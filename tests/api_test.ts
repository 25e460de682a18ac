/**
 * `POST /api/predict` as an app calls it: the answer `predict --json` gives for the same file,
 * 50 requests at once each answered for its own file, a body over the limit refused (413), bad
 * audio a 400 naming the problem, a foreign Host refused.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { DEFAULT_CONFIG, withOverrides } from "../lib/config/config.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { createLiveHandler } from "../lib/web/server.ts";
import { createPredictApi } from "../lib/web/predict_api.ts";
import { useTrainingBackend } from "../lib/model/backend.ts";
import { jsGemm } from "../lib/model/gemm.ts";
import { PROJECT_ROOT } from "../lib/util/project.ts";
import { voice, writeSyntheticRun } from "./synthetic_run.ts";

Deno.test({
  name: "POST /api/predict answers as predict --json does, 50 requests at once, with limits",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      const results = join(tmp, "results");
      const config = withOverrides(DEFAULT_CONFIG, { "eval.speakerNorm": "none" });
      const runId = await writeSyntheticRun(results, config);
      await useTrainingBackend(jsGemm);
      const handler = createLiveHandler({
        resultsDir: results,
        pageDir: tmp,
        bundlePath: join(tmp, "app.js"),
        plotlyPath: join(tmp, "plotly.js"),
        live: config.live,
        defaultRun: "",
        predict: createPredictApi({
          resultsDir: results,
          live: config.live,
          defaultRun: "",
          maxBodyBytes: 2 * 1024 * 1024,
        }),
      });
      const post = (body: Uint8Array, query = "", host = "127.0.0.1:8000") =>
        handler(
          new Request(`http://${host}/api/predict${query}`, {
            method: "POST",
            body: body as BodyInit,
            headers: { host },
          }),
        );
      const rate = 22050;
      const wavs = [130, 170, 220, 260].map((pitch) => encodeWav(voice(3, rate, 0.3, pitch), rate));
      wavs.push(encodeWav(new Float32Array(rate * 2), rate)); // silence: no speech
      const alone = await Promise.all(wavs.map(async (w) => await (await post(w)).json()));
      assertEquals(alone.map((a) => a.results[0].speech), [true, true, true, true, false]);
      assertEquals(alone[0].setting, "strict");
      // 50 at once, interleaved: each gets the answer its own file gets alone.
      const many = await Promise.all(
        Array.from({ length: 50 }, (_, i) => post(wavs[i % wavs.length]).then((r) => r.json())),
      );
      many.forEach((m, i) =>
        assertEquals(m.results, alone[i % wavs.length].results, `request ${i}`)
      );

      // The CLI gives the same probabilities for the same file.
      const file = join(tmp, "v.wav");
      await Deno.writeFile(file, wavs[0]);
      const cli = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          join(PROJECT_ROOT, "lib/cli/predict.ts"),
          file,
          "--json",
          `--resultsDir=${results}`,
          `--run=${runId}`,
          // The products as the API above computes them (jsGemm): another GEMM sums in another
          // order, and the last bits differ (OpenBLAS's AVX-512 kernels do).
          "--train.gemm=js",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const fromCli = JSON.parse(new TextDecoder().decode(cli.stdout)).results[0];
      assertEquals(fromCli.probabilities, alone[0].results[0].probabilities);

      // The timeline on request; limits and bad input.
      const withTimeline = await (await post(wavs[0], "?timeline=1")).json();
      assert(withTimeline.results[0].timeline.length >= 1);
      const big = await post(new Uint8Array(3 * 1024 * 1024));
      assertEquals(big.status, 413);
      await big.body?.cancel();
      const bad = await post(new TextEncoder().encode("not audio at all"));
      assertEquals(bad.status, 400);
      assert((await bad.json()).error.includes("not a valid WAV file"));
      const get = await handler(new Request("http://127.0.0.1:8000/api/predict"));
      assertEquals(get.status, 405);
      await get.body?.cancel();
      const foreign = await post(wavs[0], "", "attacker.example");
      assertEquals(foreign.status, 421);
      await foreign.body?.cancel();
      const missing = await post(wavs[0], "?run=nope");
      assertEquals(missing.status, 404);
      await missing.body?.cancel();
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
