/**
 * `deno task notebooks [--only=01,04] [--out=DIR] [--key=value ...]`: executes the notebooks
 * headless on Deno's Jupyter kernel into `results/notebooks/` (outputs included) and exports each
 * to HTML whose Plotly charts draw with the `plotly.js` copied beside it.
 *
 * Jupyter itself is Debian's (`apt-get install jupyter-nbconvert jupyter-client`, run with
 * `/usr/bin/python3`); the kernelspec is the project's own (`tools/jupyter/kernels/deno`), found
 * through `JUPYTER_PATH`, so nothing needs `deno jupyter --install`. Config overrides reach the
 * notebooks through `SER_ARGS`. A failing cell makes the exit status 1; the partial notebook is
 * still written.
 */
import { basename, join } from "node:path";
import { DEFAULT_CONFIG, type FlagSpec, parseArgs } from "../config/config.ts";
import { fromRoot, runCli, withUserPaths } from "./common.ts";
import { userPath } from "../util/project.ts";
import { PROJECT_ROOT } from "../util/project.ts";
import { copyPlotly } from "../plots/plotly_fs.ts";
import { checkHtmlRender, haveChromium } from "../notebook/chromium.ts";
import { countPlotlyOutputs } from "../notebook/outputs.ts";

export const NOTEBOOKS_DIR = join(PROJECT_ROOT, "notebooks");
export const JUPYTER_PYTHON = Deno.env.get("SER_JUPYTER_PYTHON") ?? "/usr/bin/python3";
export const EXECUTE_SCRIPT = join(PROJECT_ROOT, "tools", "notebooks", "execute.py");
export const KERNELSPEC_DIR = join(PROJECT_ROOT, "tools", "jupyter");

export async function listNotebooks(only: string[] = []): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(NOTEBOOKS_DIR)) {
    if (e.isFile && /^\d\d_.*\.ipynb$/.test(e.name)) names.push(e.name);
  }
  names.sort();
  const picked = only.length ? names.filter((n) => only.some((o) => n.startsWith(o))) : names;
  if (only.length && picked.length !== only.length) {
    throw new Error(`--only=${only.join(",")}: notebooks are ${names.join(", ")}`);
  }
  return picked.map((n) => join(NOTEBOOKS_DIR, n));
}

/** Fails with the install line when Debian's Jupyter is missing. */
export async function checkJupyter(python = JUPYTER_PYTHON): Promise<void> {
  const hint =
    "install it with: apt-get install -y --no-install-recommends jupyter-nbconvert jupyter-client";
  try {
    const out = await new Deno.Command(python, {
      args: ["-c", "import nbclient, nbconvert, jupyter_client"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!out.success) throw new Error(`${python} has no nbclient/nbconvert; ${hint}`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(`${python} not found; ${hint}`);
    throw err;
  }
}

export interface NotebookRunOptions {
  notebooks: string[];
  outDir: string;
  /** `--key=value` config overrides, handed to the notebooks as `SER_ARGS`. */
  overrides: string[];
  /** Seconds to keep reading a cell's late messages after it reports idle. */
  graceS?: number;
  /** Where the runner's own lines go (stdout of the task by default). */
  inherit?: boolean;
}

export interface NotebookRunResult {
  code: number;
  /** The executor's stdout and stderr when captured (`inherit: false`), else empty. */
  log: string;
}

/** Runs the headless executor. */
export async function executeNotebooks(opts: NotebookRunOptions): Promise<NotebookRunResult> {
  await checkJupyter();
  await Deno.mkdir(opts.outDir, { recursive: true });
  const plotly = await copyPlotly(opts.outDir);
  if (!plotly.ok) throw new Error(`the HTML exports need plotly.js: ${plotly.why}`);
  const jupyterPath = [KERNELSPEC_DIR, Deno.env.get("JUPYTER_PATH")].filter(Boolean).join(":");
  const capture = opts.inherit === false;
  const command = new Deno.Command(JUPYTER_PYTHON, {
    args: [
      EXECUTE_SCRIPT,
      "--out",
      opts.outDir,
      "--grace",
      String(opts.graceS ?? 0.5),
      ...opts.notebooks,
    ],
    env: { JUPYTER_PATH: jupyterPath, SER_ARGS: opts.overrides.join(" "), NO_COLOR: "1" },
    stdout: capture ? "piped" : "inherit",
    stderr: capture ? "piped" : "inherit",
  });
  // output() drains both pipes while the child runs, so a chatty kernel cannot block on a full one.
  const out = await command.output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, log: capture ? text(out.stdout) + text(out.stderr) : "" };
}

/**
 * Every export drawn in headless Chromium: each Plotly output must become a drawn chart. A
 * screenshot of each page is kept beside it (`<name>.png`). Skipped, with a note, without
 * Chromium.
 */
async function checkExports(notebooks: string[], outDir: string): Promise<void> {
  if (!(await haveChromium())) {
    console.log(`chromium not found: HTML exports not checked (apt-get install chromium)`);
    return;
  }
  for (const nb of notebooks) {
    const name = basename(nb, ".ipynb");
    const html = join(outDir, `${name}.html`);
    const check = await checkHtmlRender(html, join(outDir, `${name}.png`));
    const expected = countPlotlyOutputs(
      JSON.parse(await Deno.readTextFile(join(outDir, `${name}.ipynb`))),
    );
    const ok = check.plotlyCharts === expected;
    console.log(
      `${name}.html: ${check.plotlyCharts}/${expected} Plotly charts drawn (${check.plotlySvgs} SVGs)${
        ok ? "" : "  MISSING CHARTS"
      }`,
    );
    if (!ok) throw new Error(`${html}: ${expected - check.plotlyCharts} chart(s) did not draw`);
  }
}

/** `--only=01,04` (which notebooks), `--out=DIR`, `--grace=S` (seconds to wait for late output). */
export const NOTEBOOK_FLAGS = {
  only: { kind: "list" },
  out: { kind: "string" },
  grace: { kind: "integer" },
} satisfies Record<string, FlagSpec>;

if (import.meta.main) {
  await runCli(async () => {
    // Validate overrides here, so a typo fails before a kernel starts.
    const parsed = parseArgs(Deno.args, DEFAULT_CONFIG, NOTEBOOK_FLAGS);
    const own = parsed.flags;
    const rest = Deno.args.filter((a) => !/^--(only|out|grace)(=|$)/.test(a));
    if (parsed.positional.length) {
      throw new Error(`unexpected arguments: ${parsed.positional.join(" ")}`);
    }
    const notebooks = await listNotebooks(own.only as string[] | undefined);
    const typedOut = own.out as string | undefined;
    const outDir = typedOut
      ? userPath(typedOut)
      : fromRoot(join(withUserPaths(parsed.config, Deno.args).resultsDir, "notebooks"));
    console.log(
      `executing ${notebooks.map((n) => basename(n)).join(", ")} -> ${outDir}${
        rest.length ? ` (overrides: ${rest.join(" ")})` : ""
      }`,
    );
    const { code } = await executeNotebooks({
      notebooks,
      outDir,
      overrides: rest,
      graceS: own.grace as number | undefined,
    });
    if (code !== 0) throw new Error(`a notebook failed (exit ${code}); see the output above`);
    await checkExports(notebooks, outDir);
    console.log(`done: open ${join(outDir, "01_explore.html")} (and the others) in a browser`);
  });
}
