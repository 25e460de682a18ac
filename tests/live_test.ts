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
import { RunningStats } from "../lib/normalise/speaker.ts";
import { fitScaler } from "../lib/normalise/scaler.ts";
import { createClipFeaturizer } from "../lib/features/clip.ts";
import { inputOf, predictClip, type Predictor } from "../lib/model/predictor.ts";
import { loadAudio } from "../lib/audio/load.ts";
import { createLiveHandler, safeSegments } from "../lib/web/server.ts";
import { buildLiveBundle } from "../lib/web/bundle.ts";
import { launchBrowser } from "./cdp.ts";
import { haveChromium } from "../lib/notebook/chromium.ts";
import { PROJECT_ROOT } from "../lib/util/project.ts";
import { PLOTLY_SOURCE } from "../lib/plots/plotly_fs.ts";
import { LABELS, voice, writeSyntheticRun } from "./synthetic_run.ts";
import { loadPredictor } from "../lib/run/store.ts";

const HAVE_CHROMIUM = await haveChromium();
if (!HAVE_CHROMIUM) {
  console.warn("skipping live page browser tests: no chromium (apt-get install -y chromium)");
}
const GATE = DEFAULT_CONFIG.live;

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

async function loadSyntheticPredictor(dir: string): Promise<Predictor> {
  return (await loadPredictor(dir)).predictor;
}

Deno.test("the live classifier trims a file to its speech and scores it as predict does", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const config = withOverrides(DEFAULT_CONFIG, { "eval.speakerNorm": "per-speaker" });
    const runId = await writeSyntheticRun(tmp, config);
    const predictor = await loadSyntheticPredictor(join(tmp, runId));
    // Two seconds of voice between a second of silence on either side.
    const rate = 44100;
    const signal = new Float32Array(4 * rate);
    signal.set(voice(2, rate), rate);
    const wav = encodeWav(signal, rate);
    const live = createLiveClassifier(predictor, config, config.live);
    const page = live.classifyFile(wav, "voice.wav");
    const a = page.analysis;
    assert(a.speechSpanS![0] > 0.6 && a.speechSpanS![0] < 1.05, `${a.speechSpanS}`);
    assert(a.speechSpanS![1] > 2.95 && a.speechSpanS![1] < 3.4, `${a.speechSpanS}`);
    assertEquals(a.windows.length, 1, "one window, centred on the speech");
    // The same numbers from the parts: the window's samples, features, this voice's statistics.
    const y = loadAudio(wav, { ...config.audio, offsetS: 0, durationS: null }, "voice.wav").samples;
    const start = Math.round(a.windows[0].startS * config.audio.sampleRateHz);
    const extractor = createClipFeaturizer(config.audio, config.features).extractor;
    const features = extractor.extract(y.subarray(start, start + a.window));
    const dim = predictor.rowShape[1];
    const expected = predictClip(
      predictor,
      features,
      fitScaler(inputOf(features, predictor.input), dim),
    );
    for (let c = 0; c < 8; c++) assertAlmostEquals(page.probs![c], expected[c], 1e-5);
    assertAlmostEquals(page.probs!.reduce((s, p) => s + p, 0), 1, 1e-5);
    // Silence and a held tone are no speech, with a reason.
    const hum = encodeWav(
      Float32Array.from({ length: 3 * rate }, (_, i) => 0.1 * Math.sin(i * 0.0142)),
      rate,
    );
    const none = live.classifyFile(hum, "hum.wav");
    assertEquals(none.probs, null);
    assert(none.analysis.why.length > 0);
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
    const signal = voice(config.live.windowS, rate);
    const live = createLiveClassifier(predictor, config, config.live);
    const file = live.classifyFile(encodeWav(signal, rate), "voice.wav");
    // A file one window long is that one window, as the microphone's 2.5 s at 48 kHz are.
    assertEquals(file.analysis.windows.length, 1);
    const window = live.classifyWindow(signal, rate);
    assert(window.probs && file.probs, "the gate should hear the voice");
    for (let c = 0; c < 8; c++) assertAlmostEquals(window.probs[c], file.probs[c], 1e-4);
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
async function rawGet(
  port: number,
  target: string,
  host = `127.0.0.1:${port}`,
): Promise<{ status: number; body: string }> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await conn.write(
    new TextEncoder().encode(
      `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`,
    ),
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
    assertEquals((await rawGet(port, "/api/runs", `localhost:${port}`)).status, 200);
    // A page on another site whose domain now resolves to 127.0.0.1 (DNS rebinding) is refused.
    const rebound = await rawGet(port, "/api/runs", "attacker.example:8000");
    assertEquals(rebound.status, 421);
    assert(!rebound.body.includes(runId), "the run list leaked to a foreign Host");
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
