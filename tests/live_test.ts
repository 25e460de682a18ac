/**
 * The live page: its pure parts (speech gate, audio ring, running voice statistics, the
 * classifier shared with `deno task predict`), its server (nothing outside the served folders),
 * and the page itself in headless Chromium with a fake microphone. Browser tests are ignored,
 * with a message, where Debian's `chromium` is missing.
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { assert, assertAlmostEquals, assertEquals, assertThrows } from "./assert.ts";
import { DEFAULT_CONFIG, type RunConfig, withOverrides } from "../lib/config/config.ts";
import { encodeWav } from "../lib/audio/wav.ts";
import { speechActivity } from "../lib/live/gate.ts";
import { AudioRing } from "../lib/live/ring.ts";
import { createLiveClassifier } from "../lib/live/classifier.ts";
import { RunningStats } from "../lib/eval/speaker_norm.ts";
import { fitScaler } from "../lib/model/scaler.ts";
import { buildTemporalModel } from "../lib/model/networks.ts";
import { saveModel } from "../lib/model/io_fs.ts";
import { useTrainingBackend } from "../lib/model/backend.ts";
import { jsGemm } from "../lib/model/gemm.ts";
import { createClipFeaturizer } from "../lib/features/clip.ts";
import { fitVoiceScaler, predictClip, type Predictor } from "../lib/model/predictor.ts";
import { createLiveHandler, safeSegments } from "../lib/web/server.ts";
import { buildLiveBundle } from "../lib/web/bundle.ts";
import { launchBrowser } from "./cdp.ts";
import { haveChromium } from "../lib/notebook/chromium.ts";
import { PROJECT_ROOT } from "../lib/util/project.ts";
import { PLOTLY_SOURCE } from "../lib/plots/plotly_fs.ts";
import { loadPredictor } from "../lib/run/store.ts";

const HAVE_CHROMIUM = await haveChromium();
if (!HAVE_CHROMIUM) {
  console.warn("skipping live page browser tests: no chromium (apt-get install -y chromium)");
}
const LABELS = ["neutral", "calm", "happy", "sad", "angry", "fearful", "disgust", "surprised"];
const GATE = DEFAULT_CONFIG.live;

/** A voiced, vowel-like signal: gliding pitch, ten harmonics, syllables at 4 per second. */
function voice(seconds: number, sampleRateHz: number, amp = 0.3): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRateHz));
  let phase = 0;
  for (let i = 0; i < out.length; i++) {
    const t = i / sampleRateHz;
    phase += (2 * Math.PI * (140 + 25 * Math.sin(2 * Math.PI * 0.7 * t))) / sampleRateHz;
    let v = 0;
    for (let k = 1; k <= 10; k++) v += Math.sin(k * phase) / k;
    const syllable = 0.5 - 0.5 * Math.cos(2 * Math.PI * 4 * t);
    out[i] = amp * 0.5 * syllable * v;
  }
  return out;
}

Deno.test("the speech gate calls silence and faint hiss no speech, and a voice speech", () => {
  const rate = 48000;
  const silence = speechActivity(new Float32Array(rate * 2.5), rate, GATE);
  assertEquals(silence.speech, false);
  assertEquals(silence.levelDbfs, -Infinity);
  const hiss = Float32Array.from({ length: rate * 2.5 }, (_, i) => 1e-4 * Math.sin(i * 1.7));
  assertEquals(speechActivity(hiss, rate, GATE).speech, false);
  const spoken = speechActivity(voice(2.5, rate), rate, GATE);
  assert(spoken.speech, `voice not detected: ${JSON.stringify(spoken)}`);
  assert(spoken.levelDbfs > -30 && spoken.voicedS > 1, JSON.stringify(spoken));
  // A syllable in a quiet window is not enough to classify (minVoicedS, 0.2 s).
  const word = new Float32Array(rate * 2.5);
  word.set(voice(0.12, rate), rate);
  assertEquals(speechActivity(word, rate, GATE).speech, false);
});

Deno.test("the audio ring returns the newest samples in order, across its wrap-around", () => {
  const ring = new AudioRing(5);
  ring.push([1, 2, 3]);
  assertEquals(Array.from(ring.latest(10)), [1, 2, 3]);
  ring.push([4, 5, 6, 7]);
  assertEquals(ring.length, 5);
  assertEquals(Array.from(ring.latest(5)), [3, 4, 5, 6, 7]);
  assertEquals(Array.from(ring.latest(2)), [6, 7]);
  assertThrows(() => new AudioRing(0), Error, "capacity");
});

Deno.test("running voice statistics equal a scaler fitted on the same frames at once", () => {
  const frames = Float32Array.from({ length: 30 * 4 }, (_, i) => Math.sin(i * 0.37) * (1 + i % 4));
  const stats = new RunningStats(4);
  stats.add(frames.subarray(0, 40));
  stats.add(frames.subarray(40));
  const once = fitScaler(frames, 4);
  const running = stats.scaler();
  for (let d = 0; d < 4; d++) {
    assertAlmostEquals(running.mean[d], once.mean[d], 1e-9);
    assertAlmostEquals(running.scale[d], once.scale[d], 1e-9);
  }
  assertEquals(running.fittedOn, 30);
});

/**
 * A run folder as `deno task reproduce` writes it, with small untrained models: fold-1-2 written
 * the way runs were before ensembles (no `models` list, one model that sees the whole input),
 * fold-3-4 with two ensemble members that see different features.
 */
async function writeSyntheticRun(resultsDir: string, config: RunConfig): Promise<string> {
  const runId = "2026-01-01T00-00-00Z-temporal-speaker";
  const dir = join(resultsDir, runId);
  const frames = 108;
  // The default input: log-mel and MFCC + deltas side by side in every frame.
  const mels = config.features.sequenceMels;
  const dims = mels + 3 * config.features.nMfcc;
  // fold-3-4's members each see one half of a frame, as the default ensemble's do.
  const views: Record<string, { input: string; channels: [number, number] }> = {
    "fold-3-4": { input: "logmel", channels: [0, mels] },
    "fold-3-4-m2": { input: "mfccDelta", channels: [mels, dims] },
  };
  const folds = [
    { name: "fold-1-2", trainActors: [3, 4], testActors: [1, 2] },
    {
      name: "fold-3-4",
      models: ["fold-3-4", "fold-3-4-m2"],
      trainActors: [1, 2],
      testActors: [3, 4],
    },
  ];
  await useTrainingBackend(jsGemm);
  const members = folds.flatMap((f) => f.models ?? [f.name]);
  for (const [i, name] of members.entries()) {
    const [from, to] = views[name]?.channels ?? [0, dims];
    const model = buildTemporalModel(frames, to - from, 8, {
      filters: [8, 8],
      kernelSize: 3,
      dropout: 0,
      denseUnits: 8,
      pooling: "meanMax",
    }, 100 + i);
    const modelDir = join(dir, "models", name);
    await saveModel(model, modelDir);
    model.dispose();
    // Scalers cover the whole input; a member picks its columns after scaling.
    const scaler = {
      dim: dims,
      mean: Array(dims).fill(0.1 * i),
      scale: Array(dims).fill(1.5),
      fittedOn: 1,
    };
    await Deno.writeTextFile(join(modelDir, "scaler.json"), JSON.stringify(scaler));
  }
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({
      runId,
      config,
      labels: LABELS,
      input: { kind: "logmelMfccDelta", rowShape: [frames, dims], featureDim: dims },
      members: views,
      folds,
      protocol: {
        text: "synthetic test run (untrained weights)",
        speakerNorm: config.eval.speakerNorm,
      },
      corpus: { root: "synthetic", clips: 16, manifestHash: "0" },
    }),
  );
  const spread = { mean: 0.125, std: 0, values: [0.125, 0.125] };
  await Deno.writeTextFile(
    join(dir, "metrics.json"),
    JSON.stringify({
      runId,
      model: "temporal",
      protocol: "speaker",
      protocolText: "synthetic test run (untrained weights)",
      leaky: false,
      folds: folds.map(({ name, trainActors, testActors }) => ({ name, trainActors, testActors })),
      primary: { labels: LABELS, accuracy: spread, uar: spread, macroF1: spread },
    }),
  );
  return runId;
}

async function loadSyntheticPredictor(dir: string): Promise<Predictor> {
  return (await loadPredictor(dir)).predictor;
}

Deno.test("the live classifier gives a file exactly what predict's functions give it", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const config = withOverrides(DEFAULT_CONFIG, { "eval.speakerNorm": "per-speaker" });
    const runId = await writeSyntheticRun(tmp, config);
    const predictor = await loadSyntheticPredictor(join(tmp, runId));
    const wav = encodeWav(voice(3.5, 44100), 44100);
    const live = createLiveClassifier(predictor, config, config.live);
    const fromPage = live.classifyFile(wav, "voice.wav").probs;
    const clip = createClipFeaturizer(config.audio, config.features).featurize(wav, "voice.wav");
    const fromPredict = predictClip(predictor, clip, fitVoiceScaler(predictor, [clip]));
    assertEquals(Array.from(fromPage), Array.from(fromPredict));
    assertAlmostEquals(fromPage.reduce((a, b) => a + b, 0), 1, 1e-5);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("the microphone path resamples and featurizes a 48 kHz window as the file path does", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    // No speaker statistics here, so the window and the file see identical model inputs.
    const config = withOverrides(DEFAULT_CONFIG, { "eval.speakerNorm": "none" });
    const runId = await writeSyntheticRun(tmp, config);
    const predictor = await loadSyntheticPredictor(join(tmp, runId));
    const rate = 48000;
    const signal = voice(config.audio.offsetS + config.live.windowS, rate);
    const live = createLiveClassifier(predictor, config, config.live);
    const file = live.classifyFile(encodeWav(signal, rate), "voice.wav").probs;
    // The file path skips the first offsetS seconds; the window is the rest, 2.5 s at 48 kHz.
    const window = live.classifyWindow(
      signal.subarray(Math.round(config.audio.offsetS * rate)),
      rate,
    );
    assert(window.probs, "the gate should hear the voice");
    for (let c = 0; c < 8; c++) assertAlmostEquals(window.probs[c], file[c], 1e-4);
    const quiet = live.classifyWindow(new Float32Array(rate * 2.5), rate);
    assertEquals(quiet.probs, null);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test("path segments that hide a way out are refused", () => {
  assertEquals(safeSegments("/runs/a/config.json"), ["runs", "a", "config.json"]);
  for (
    const bad of [
      "/runs/../x",
      "/runs/..%2F..%2Fdeno.json",
      "/runs/%2e%2e/x",
      "/a//b",
      "/a/%00",
      "/a/%E0%A4%A",
    ]
  ) {
    assertEquals(safeSegments(bad), null, bad);
  }
});

/** The live server on a free loopback port, over `results`. */
function serveLive(
  results: string,
  bundlePath: string,
  config: RunConfig,
): Deno.HttpServer<Deno.NetAddr> {
  return Deno.serve(
    { port: 0, hostname: "127.0.0.1", onListen: () => {} },
    createLiveHandler({
      resultsDir: results,
      pageDir: join(PROJECT_ROOT, "lib", "web", "page"),
      bundlePath,
      plotlyPath: PLOTLY_SOURCE,
      live: config.live,
      defaultRun: "",
    }),
  );
}

/** Sends a raw request line (no client-side path normalisation) and returns status and body. */
async function rawGet(port: number, target: string): Promise<{ status: number; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`),
  );
  let text = "";
  const buf = new Uint8Array(65536);
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    text += new TextDecoder().decode(buf.subarray(0, n));
  }
  conn.close();
  return { status: Number(text.split(" ")[1]), body: text.slice(text.indexOf("\r\n\r\n") + 4) };
}

Deno.test("the server streams files from disk: 50 open requests for a 20 MB file do not hold 50 copies", async () => {
  const tmp = await Deno.makeTempDir();
  const big = join(tmp, "plotly.js");
  const bytes = new Uint8Array(20 * 1024 * 1024).map((_, i) => i % 251);
  await Deno.writeFile(big, bytes);
  const config = withOverrides(DEFAULT_CONFIG, {});
  const handler = createLiveHandler({
    pageDir: tmp,
    bundlePath: big,
    plotlyPath: big,
    resultsDir: join(tmp, "results"),
    live: config.live,
    defaultRun: "",
  });
  const url = "http://localhost/vendor/plotly.js";
  const head = await handler(new Request(url, { method: "HEAD" }));
  assertEquals(head.headers.get("content-length"), String(bytes.length));
  assertEquals(head.body, null);
  const before = Deno.memoryUsage().rss;
  // Bodies not read yet, as with slow clients.
  const open = await Promise.all(Array.from({ length: 50 }, () => handler(new Request(url))));
  const grew = Deno.memoryUsage().rss - before;
  assert(grew < 200 * 1024 * 1024, `memory grew by ${(grew / 2 ** 20).toFixed(0)} MiB`);
  const first = new Uint8Array(await open[0].arrayBuffer());
  assertEquals(first.length, bytes.length);
  assertEquals(first[12345], bytes[12345]);
  await Promise.all(open.slice(1).map((r) => r.body?.cancel()));
  await Deno.remove(tmp, { recursive: true });
});

Deno.test("the server serves a run's model files and nothing outside its folders", async () => {
  const tmp = await Deno.makeTempDir();
  const results = join(tmp, "results");
  const secretDir = join(tmp, "secret");
  await Deno.mkdir(secretDir, { recursive: true });
  await Deno.writeTextFile(join(secretDir, "config.json"), "SECRET");
  const config = withOverrides(DEFAULT_CONFIG, {});
  const runId = await writeSyntheticRun(results, config);
  // A symbolic link inside the results folder that points out of it.
  await Deno.symlink(secretDir, join(results, "escape"));
  const server = serveLive(results, join(tmp, "app.js"), config);
  try {
    const port = server.addr.port;
    const ok = await rawGet(port, `/runs/${runId}/models/fold-1-2/model.json`);
    assertEquals(ok.status, 200);
    assert(ok.body.includes("weightsManifest"));
    const runs = JSON.parse((await rawGet(port, "/api/runs")).body);
    assertEquals(runs.default, runId);
    for (
      const target of [
        "/runs/../../secret/config.json",
        "/runs/..%2F..%2Fsecret/config.json",
        "/runs/%2e%2e/secret/config.json",
        "/runs/escape/config.json",
        "/..%2fsecret%2fconfig.json",
        "/runs/" + runId + "/models/fold-1-2/..%2F..%2F..%2F..%2Fsecret%2Fconfig.json",
        "/etc/passwd",
        "/runs/" + runId + "/history.json",
      ]
    ) {
      const res = await rawGet(port, target);
      assert(res.status === 403 || res.status === 404, `${target}: ${res.status}`);
      assert(!res.body.includes("SECRET"), `${target} leaked a file`);
    }
  } finally {
    await server.shutdown();
    await Deno.remove(tmp, { recursive: true });
  }
});

Deno.test({
  name:
    "the live page loads a run, hears the fake microphone, matches predict on a file, and shows no speech on silence",
  ignore: !HAVE_CHROMIUM,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir();
    const results = join(tmp, "results");
    const config = withOverrides(DEFAULT_CONFIG, { "eval.speakerNorm": "per-speaker" });
    const runId = await writeSyntheticRun(results, config);
    const bundlePath = join(tmp, "app.js");
    await buildLiveBundle(bundlePath);
    const voiceWav = join(tmp, "voice.wav");
    const silenceWav = join(tmp, "silence.wav");
    await Deno.writeFile(voiceWav, encodeWav(voice(4, 48000), 48000));
    await Deno.writeFile(silenceWav, encodeWav(new Float32Array(48000 * 4), 48000));
    const server = serveLive(results, bundlePath, config);
    const url = `http://127.0.0.1:${server.addr.port}/`;
    const media = (wav: string) => [
      "--use-fake-ui-for-media-stream",
      "--use-fake-device-for-media-stream",
      `--use-file-for-fake-audio-capture=${wav}`,
      "--autoplay-policy=no-user-gesture-required",
    ];
    try {
      const browser = await launchBrowser(media(voiceWav));
      try {
        const page = await browser.open(url);
        await page.waitFor("serState.status === 'ready'", 60000, "the model to load");
        assertEquals(await page.evaluate("serState.runId"), runId);
        assertEquals(await page.evaluate("serState.models"), 3, "fold-1-2 and two of fold-3-4");
        await page.evaluate("document.getElementById('mic-button').click()");
        const live = await page.waitFor<{ probs: number[]; top: string; sampleRateHz: number }>(
          "serState.live.updates >= 2 && serState.live.probs && serState.live",
          60000,
          "live probabilities from the fake microphone",
        );
        assertEquals(live.probs.length, 8);
        assertAlmostEquals(live.probs.reduce((a, b) => a + b, 0), 1, 1e-4);
        assert(LABELS.includes(live.top));
        const chartBars = await page.evaluate<number>(
          "document.querySelectorAll('#live-chart .bars .point').length",
        );
        assertEquals(chartBars, 8, "the live bar chart draws one bar per emotion");
        await page.setFileInput("#file-input", [voiceWav]);
        const file = await page.waitFor<{ probs: number[] | null; error: string | null }>(
          "serState.file && (serState.file.probs || serState.file.error) && serState.file",
          60000,
          "the file's probabilities",
        );
        assertEquals(file.error, null);
        assert(await page.evaluate<boolean>("!document.getElementById('file-player').hidden"));
        const out = await new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            join(PROJECT_ROOT, "lib", "cli", "predict.ts"),
            voiceWav,
            `--run=${runId}`,
            `--resultsDir=${results}`,
            "--json",
          ],
          stdout: "piped",
          stderr: "piped",
        }).output();
        assert(out.success, new TextDecoder().decode(out.stderr));
        const predicted = JSON.parse(
          new TextDecoder().decode(out.stdout).trim().split("\n").pop()!,
        );
        const cli = LABELS.map((l) => predicted.results[0].probabilities[l] as number);
        for (let c = 0; c < 8; c++) assertAlmostEquals(file.probs![c], cli[c], 1e-3);
        const shot = await page.screenshot();
        await Deno.mkdir(join(PROJECT_ROOT, "results", "live"), { recursive: true });
        await Deno.writeFile(join(PROJECT_ROOT, "results", "live", "test-live-page.png"), shot);
        assert(shot.length > 10000, "screenshot is suspiciously small");
      } finally {
        await browser.close();
      }
      const quiet = await launchBrowser(media(silenceWav));
      try {
        const page = await quiet.open(url);
        await page.waitFor("serState.status === 'ready'", 60000, "the model to load");
        await page.evaluate("document.getElementById('mic-button').click()");
        await page.waitFor("serState.live.updates >= 2", 60000, "classifications of the silence");
        assertEquals(await page.evaluate("serState.live.state"), "no speech");
        assertEquals(await page.evaluate("serState.live.probs"), null);
        const text = await page.evaluate<string>(
          "document.getElementById('live-state').textContent",
        );
        assert(text.startsWith("no speech"), text);
      } finally {
        await quiet.close();
      }
    } finally {
      await server.shutdown();
      await Deno.remove(tmp, { recursive: true });
      tf.disposeVariables();
    }
  },
});
