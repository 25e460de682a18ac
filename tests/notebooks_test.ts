/**
 * The notebooks: committed clean, executed headless with every output they promise, exported to
 * HTML whose charts draw in headless Chromium. Tests that need Debian's Jupyter, Chromium or the
 * corpus are ignored, with a message, where those are missing.
 */
import { basename, join } from "node:path";
import { assert, assertEquals } from "./assert.ts";
import { EMODB_DIR, HAVE_EMODB, requires } from "./fixtures.ts";
import {
  checkJupyter,
  executeNotebooks,
  JUPYTER_PYTHON,
  listNotebooks,
} from "../lib/cli/notebooks.ts";
import {
  committedProblems,
  countPlotlyOutputs,
  expectedOutputs,
  type Notebook,
  outputProblems,
} from "../lib/notebook/outputs.ts";
import { checkHtmlRender, countRendered, haveChromium } from "../lib/notebook/chromium.ts";
import { audioBundle, figureBundle, PLOTLY_MIME, tableBundle } from "../lib/plots/bundles.ts";
import { decodeWav } from "../lib/audio/wav.ts";
import { decodeBase64Bytes } from "../lib/util/base64.ts";
import { tone } from "./helpers.ts";

const HAVE_JUPYTER = await checkJupyter().then(() => true, () => false);
const HAVE_CHROMIUM = await haveChromium();
if (!HAVE_JUPYTER) {
  console.warn(
    `skipping notebook execution tests: ${JUPYTER_PYTHON} has no Jupyter (apt-get install -y --no-install-recommends jupyter-nbconvert jupyter-client)`,
  );
}
if (!HAVE_CHROMIUM) {
  console.warn("skipping HTML render checks: no chromium (apt-get install -y chromium)");
}

const readNotebook = async (path: string): Promise<Notebook> =>
  JSON.parse(await Deno.readTextFile(path));
const textOf = (t: string | string[] | undefined) => Array.isArray(t) ? t.join("") : t ?? "";

Deno.test("notebooks: the five are committed without outputs, on the Deno kernel, importing only ../lib", async () => {
  const paths = await listNotebooks();
  assertEquals(paths.map((p) => basename(p)), [
    "01_explore.ipynb",
    "02_featurize.ipynb",
    "03_augment.ipynb",
    "04_train.ipynb",
    "05_evaluate.ipynb",
  ]);
  for (const p of paths) {
    const nb = await readNotebook(p);
    assertEquals(committedProblems(nb), [], basename(p));
    assert(nb.cells.some((c) => c.cell_type === "markdown"), `${p} tells a story`);
  }
});

Deno.test("notebooks: a cell's expected outputs are read from its show calls", () => {
  const e = expectedOutputs(
    'import { showFigure } from "../lib/notebook/display.ts";\n' +
      "await showTable(rows);\nawait showFigure(a);\nconst c = await liveTrainingCurves();\n" +
      "console.log(c);",
  );
  assertEquals(e, { displays: 3, plotly: 2, stdout: true });
  const nb: Notebook = {
    metadata: {},
    cells: [{
      cell_type: "code",
      source: "await showFigure(f);\nawait showTable(t);",
      execution_count: 1,
      outputs: [{ output_type: "display_data", data: { [PLOTLY_MIME]: {}, "text/plain": "" } }],
    }],
  };
  assertEquals(outputProblems(nb), ["cell 0: 1 displays, expected 2"]);
  assertEquals(countPlotlyOutputs(nb), 1);
});

Deno.test("notebooks: mime bundles carry Plotly JSON, escaped tables and playable WAV audio", () => {
  const fig = figureBundle({ data: [{ type: "bar", y: [1] }], layout: { title: { text: "T" } } });
  assertEquals(fig["text/plain"], "[Plotly chart: T]");
  assertEquals((fig[PLOTLY_MIME] as { data: unknown[] }).data.length, 1);

  const table = tableBundle([{ name: "<b>", value: 0.5 }], { caption: "c" });
  assert(String(table["text/html"]).includes("&lt;b&gt;"), "HTML is escaped");
  assert(String(table["text/plain"]).includes("0.500"), String(table["text/plain"]));

  const samples = tone(2205, 440, 22050);
  const html = String(audioBundle([{ label: "a", samples, sampleRateHz: 22050 }])["text/html"]);
  const b64 = /data:audio\/wav;base64,([A-Za-z0-9+/=]+)/.exec(html)![1];
  const wav = decodeWav(decodeBase64Bytes(b64));
  assertEquals(wav.sampleRateHz, 22050);
  assertEquals(wav.channels[0].length, samples.length);
  assert(Math.abs(wav.channels[0][100] - samples[100]) < 1e-4, "16-bit round trip");
});

Deno.test("notebooks: rendered-chart counting reads Plotly's DOM marks", () => {
  const dom = '<div id="p1" class="ser-plotly js-plotly-plot"><svg class="main-svg"></svg>' +
    '<svg class="main-svg"></svg></div><div class="ser-plotly"></div>';
  assertEquals(countRendered(dom), { plotlyCharts: 1, plotlySvgs: 2, chartDivs: 2 });
});

/** Writes a notebook of code cells (sources given) to `dir`. */
async function writeNotebook(dir: string, name: string, sources: string[]): Promise<string> {
  const nb = {
    nbformat: 4,
    nbformat_minor: 4,
    metadata: { kernelspec: { name: "deno", display_name: "Deno", language: "typescript" } },
    cells: sources.map((s) => ({
      cell_type: "code",
      source: s,
      metadata: {},
      outputs: [],
      execution_count: null,
    })),
  };
  const path = join(dir, name);
  await Deno.writeTextFile(path, JSON.stringify(nb));
  return path;
}

Deno.test({
  name:
    "notebooks: the headless runner keeps late kernel output, exports charts, and saves a failing notebook",
  ignore: !HAVE_JUPYTER,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const out = join(dir, "out");
    // Prints around a display in every cell: the pattern whose trailing output stock nbconvert
    // loses (the kernel sends it after reporting the cell idle).
    const cells = Array.from({ length: 8 }, (_, i) =>
      `console.log("cell ${i} before");\n` +
      `await Deno.jupyter.display({ "${PLOTLY_MIME}": { data: [{ type: "bar", y: [${i}] }], layout: {} }, "text/plain": "chart ${i}" }, { raw: true });\n` +
      `console.log("cell ${i} after");`);
    const good = await writeNotebook(dir, "good.ipynb", cells);
    const bad = await writeNotebook(dir, "bad.ipynb", [
      'console.log("ran");',
      'throw new Error("deliberate failure");',
      'console.log("never");',
    ]);

    const run = await executeNotebooks({
      notebooks: [good],
      outDir: out,
      overrides: [],
      inherit: false,
    });
    assertEquals(run.code, 0, run.log);
    const executed = await readNotebook(join(out, "good.ipynb"));
    executed.cells.forEach((c, i) => {
      const text = (c.outputs ?? []).filter((o) => o.output_type === "stream")
        .map((o) => textOf(o.text)).join("");
      assertEquals(text, `cell ${i} before\ncell ${i} after\n`, `cell ${i} streams`);
    });
    assertEquals(countPlotlyOutputs(executed), 8);
    const html = await Deno.readTextFile(join(out, "good.html"));
    assertEquals((html.match(/Plotly\.newPlot\(/g) ?? []).length, 8);
    assert(html.includes('<script src="plotly.js"></script>'), "plotly.js from beside the page");
    assert(!/https?:\/\/[^"]*require/.test(html), "no require.js from a CDN");

    const failed = await executeNotebooks({
      notebooks: [bad],
      outDir: out,
      overrides: [],
      inherit: false,
    });
    assert(failed.code !== 0, "a failing cell fails the run");
    assert(failed.log.includes("deliberate failure"), failed.log);
    const partial = await readNotebook(join(out, "bad.ipynb"));
    assertEquals(textOf(partial.cells[0].outputs?.[0].text), "ran\n");
    assertEquals(partial.cells[1].outputs?.[0].output_type, "error");
    assertEquals(partial.cells[2].execution_count ?? null, null);
    assertEquals((partial.metadata.ser_execution as { ok: boolean }).ok, false);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "notebooks: all five execute on the corpus with every expected output, and their HTML charts draw in Chromium",
  ignore: !HAVE_JUPYTER || requires("corpus"),
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const out = join(dir, "notebooks");
    // Two epochs keep this a test of the notebooks, not of training; results go to the temp dir
    // so the project's results/ keeps only real runs. The feature cache is shared.
    const run = await executeNotebooks({
      notebooks: await listNotebooks(),
      outDir: out,
      overrides: ["--epochs=2", `--resultsDir=${join(dir, "results")}`],
      inherit: false,
    });
    assertEquals(run.code, 0, `every notebook ran:\n${run.log}`);
    let charts = 0;
    for (const p of await listNotebooks()) {
      const name = basename(p, ".ipynb");
      const nb = await readNotebook(join(out, `${name}.ipynb`));
      assertEquals(outputProblems(nb), [], name);
      charts += countPlotlyOutputs(nb);
      assert(countPlotlyOutputs(nb) > 0, `${name} has charts`);
    }
    assert(charts >= 15, `${charts} charts in all`);

    if (HAVE_CHROMIUM) {
      const nb = await readNotebook(join(out, "05_evaluate.ipynb"));
      const shot = join(out, "05_evaluate.png");
      const check = await checkHtmlRender(join(out, "05_evaluate.html"), shot);
      assertEquals(check.chartDivs, countPlotlyOutputs(nb));
      assertEquals(check.plotlyCharts, countPlotlyOutputs(nb), "every chart drew");
      assert(check.plotlySvgs >= 2 * check.plotlyCharts, `${check.plotlySvgs} SVGs`);
      const png = await Deno.readFile(shot);
      assertEquals([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], "a PNG screenshot");
      assert(png.length > 50_000, `screenshot of ${png.length} bytes has content`);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "notebooks: the explore notebook explores EmoDB as it does RAVDESS (its speakers, its emotions)",
  ignore: !HAVE_JUPYTER || !HAVE_EMODB,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    const explore = (await listNotebooks()).filter((p) => basename(p) === "01_explore.ipynb");
    const run = await executeNotebooks({
      notebooks: explore,
      outDir: dir,
      overrides: ["--data.corpus=emodb", `--data=${EMODB_DIR}`],
      inherit: false,
    });
    assertEquals(run.code, 0, `the notebook ran:\n${run.log}`);
    const nb = await readNotebook(join(dir, "01_explore.ipynb"));
    assertEquals(outputProblems(nb), [], "every cell shows what it should");
    const text = JSON.stringify(nb.cells.flatMap((c) => c.outputs ?? []));
    assert(text.includes("Berlin Database of Emotional Speech"), "names the corpus");
    assert(text.includes("boredom"), "EmoDB's own emotions");
    await Deno.remove(dir, { recursive: true });
  },
});
