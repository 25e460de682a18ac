/**
 * `deno task predict` as a user meets it: typed from their own folder, on a long recording with
 * pauses (a timeline of its speech, written as CSV, JSON and a page), and on several files, each
 * its own voice unless `--sameSpeaker` pools them.
 */
import { join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { DEFAULT_CONFIG, strictTwin, withOverrides } from "../lib/config/config.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { PROJECT_ROOT } from "../lib/util/project.ts";
import { voice, writeSyntheticRun } from "./synthetic_run.ts";

// The synthetic run's networks read no prosody (`writeSyntheticRun`), so its twin is `none`'s.
const PER_SPEAKER = withOverrides(DEFAULT_CONFIG, {
  "eval.speakerNorm": "per-speaker",
  "eval.strictNorm": "none",
});
const RUN_ID = "2026-01-01T00-00-00Z-temporal-speaker";

/** `deno task predict ...` typed in `cwd`, as a user in another folder types it. */
async function predict(cwd: string, ...args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "--config", join(PROJECT_ROOT, "deno.json"), "predict", ...args],
    cwd,
    // As typed in a fresh shell: `deno task` keeps an INIT_CWD it inherits (this test itself
    // runs under `deno task test`, whose INIT_CWD is the project), and sets it only when unset.
    clearEnv: true,
    env: Object.fromEntries(Object.entries(Deno.env.toObject()).filter(([k]) => k !== "INIT_CWD")),
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

interface Answer {
  results: {
    file: string;
    speech: boolean;
    why?: string;
    voice?: string;
    speechSpanS?: [number, number];
    probabilities: Record<string, number> | null;
    timeline?: { startS: number; endS: number; speech: boolean }[];
    written?: string[];
  }[];
  errors: { file: string; error: string }[];
}

Deno.test({
  name:
    "predict from another folder: paths are the user's, a 30-minute recording gets a timeline of its speech",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      await writeSyntheticRun(join(tmp, "results"), PER_SPEAKER);
      // 30 minutes at 16 kHz, silent but for speech at 0:10-0:20, 14:00-14:08 and 29:50-29:58;
      // written a minute at a time.
      const rate = 16000;
      const minutes = 30;
      const n = rate * 60 * minutes;
      const head = new DataView(encodeWav(new Float32Array(0), rate).slice(0, 44).buffer);
      head.setUint32(4, 36 + 2 * n, true);
      head.setUint32(40, 2 * n, true);
      await Deno.mkdir(join(tmp, "clips"));
      const file = await Deno.open(join(tmp, "clips", "podcast.wav"), {
        write: true,
        create: true,
      });
      await file.write(new Uint8Array(head.buffer));
      const speech: [number, number][] = [[10, 20], [840, 848], [1790, 1798]];
      for (let m = 0; m < minutes; m++) {
        const minute = new Float32Array(rate * 60);
        for (const [a, b] of speech) {
          if (a >= 60 * m && a < 60 * (m + 1)) minute.set(voice(b - a, rate), (a - 60 * m) * rate);
        }
        await file.write(encodeWav(minute, rate).subarray(44));
      }
      file.close();

      const ran = await predict(
        tmp,
        "clips/podcast.wav",
        "--resultsDir=results",
        `--run=${RUN_ID}`,
        "--timeline",
        "--json",
      );
      assertEquals(ran.code, 0, ran.stderr);
      const answer: Answer = JSON.parse(ran.stdout);
      const r = answer.results[0];
      assertEquals(r.file, "clips/podcast.wav");
      assert(r.speech);
      const [from, to] = r.speechSpanS!;
      assert(from > 9.5 && from < 10.1 && to > 1797.9 && to < 1798.5, `speech ${from}-${to} s`);
      assert(r.voice!.includes("own statistics"), r.voice);
      const windows = r.timeline!;
      const heard = windows.filter((w) => w.speech);
      for (const w of heard) {
        assert(
          speech.some(([a, b]) => w.endS > a && w.startS < b),
          `a window with no voice in it was heard as speech: ${w.startS}-${w.endS} s`,
        );
      }
      for (const [a, b] of speech) {
        assert(heard.some((w) => w.startS >= a - 1 && w.endS <= b + 1), `no window of ${a}-${b} s`);
      }
      assert(windows.some((w) => w.startS > 300 && w.endS < 400 && !w.speech), "the pause");
      const written = r.written!;
      assertEquals(
        written,
        ["csv", "json", "html"].map((e) =>
          join(tmp, "results", "timelines", `podcast.timeline.${e}`)
        ),
      );
      const csv = (await Deno.readTextFile(written[0])).trim().split("\n");
      assertEquals(csv.length, 1 + windows.length);
      assert(csv[0].startsWith("start_s,end_s,speech,predicted,neutral,calm"));
      const page = await Deno.readTextFile(written[2]);
      assert(page.includes('<script src="plotly.js">') && page.includes("Emotion over time"));
      assert((await Deno.stat(join(tmp, "results", "timelines", "plotly.js"))).isFile);

      // The same file named from its own folder, and a missing one named as typed.
      const inClips = await predict(join(tmp, "clips"), "nope.wav", `--resultsDir=../results`);
      assertEquals(inClips.code, 1);
      assert(inClips.stdout.includes("nope.wav: cannot read"), inClips.stdout + inClips.stderr);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "each file is its own voice; --sameSpeaker pools them; a short file goes to the strict twin",
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    try {
      await writeSyntheticRun(join(tmp, "results"), PER_SPEAKER);
      const rate = 22050;
      await Deno.writeFile(join(tmp, "a.wav"), encodeWav(voice(25, rate, 0.3, 130), rate));
      await Deno.writeFile(join(tmp, "b.wav"), encodeWav(voice(25, rate, 0.05, 260), rate));
      await Deno.writeFile(join(tmp, "short.wav"), encodeWav(voice(3, rate), rate));
      const hum = Float32Array.from(
        { length: 3 * rate },
        (_, i) => 0.03 * Math.sin((2 * Math.PI * 50 * i) / rate),
      );
      await Deno.writeFile(join(tmp, "hum.wav"), encodeWav(hum, rate));
      const run = [`--resultsDir=results`, `--run=${RUN_ID}`, "--json"];
      const probsOf = (out: { stdout: string }, file: string) =>
        (JSON.parse(out.stdout) as Answer).results.find((r) => r.file === file)!;

      const alone = await predict(tmp, "a.wav", ...run);
      const both = await predict(tmp, "a.wav", "b.wav", "hum.wav", "short.wav", ...run);
      assertEquals(both.code, 0, both.stderr);
      assertEquals(probsOf(both, "a.wav").probabilities, probsOf(alone, "a.wav").probabilities);
      assert(probsOf(both, "a.wav").voice!.includes("this file's own statistics"));
      assertEquals(probsOf(both, "hum.wav").speech, false);
      assertEquals(probsOf(both, "hum.wav").probabilities, null);
      // No strict twin in results/: the short file's own statistics, said to be rough.
      assert(
        probsOf(both, "short.wav").voice!.includes("rough estimate"),
        probsOf(both, "short.wav").voice,
      );

      const pooled = await predict(tmp, "a.wav", "b.wav", ...run, "--sameSpeaker");
      assertEquals(pooled.code, 0, pooled.stderr);
      assert(probsOf(pooled, "a.wav").voice!.includes("pooled as one voice"));
      assert(
        JSON.stringify(probsOf(pooled, "a.wav").probabilities) !==
          JSON.stringify(probsOf(alone, "a.wav").probabilities),
        "pooling two voices changes the statistics",
      );

      // With the run's strict twin beside it, a short file is judged by the twin.
      await writeSyntheticRun(
        join(tmp, "results"),
        strictTwin(PER_SPEAKER),
        "2026-01-01T00-00-01Z-temporal-speaker",
      );
      const withTwin = await predict(tmp, "short.wav", ...run);
      assertEquals(withTwin.code, 0, withTwin.stderr);
      assert(
        probsOf(withTwin, "short.wav").voice!.includes("strict twin"),
        probsOf(withTwin, "short.wav").voice,
      );
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});
