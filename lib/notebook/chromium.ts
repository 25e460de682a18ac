/**
 * Headless Chromium as the judge of an HTML export (Deno-only): does the page draw its Plotly
 * charts? `--dump-dom` gives the DOM after the scripts ran (Plotly marks each drawn chart's div
 * `js-plotly-plot` and draws it into `svg.main-svg` elements); `--screenshot` keeps a picture.
 */

export const CHROMIUM = Deno.env.get("SER_CHROMIUM") ?? "chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=20000"];

export async function haveChromium(bin = CHROMIUM): Promise<boolean> {
  try {
    return (await new Deno.Command(bin, { args: ["--version"], stdout: "null", stderr: "null" })
      .output()).success;
  } catch {
    return false;
  }
}

async function chromium(args: string[]): Promise<string> {
  const out = await new Deno.Command(CHROMIUM, { args: [...FLAGS, ...args], stderr: "piped" })
    .output();
  if (!out.success) {
    throw new Error(
      `chromium ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).slice(-500)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}

export interface RenderCheck {
  /** Chart divs Plotly drew into. */
  plotlyCharts: number;
  /** `svg.main-svg` elements (two or three per chart). */
  plotlySvgs: number;
  /** Chart divs the export created, drawn or not. */
  chartDivs: number;
}

export function countRendered(dom: string): RenderCheck {
  const count = (re: RegExp) => (dom.match(re) ?? []).length;
  return {
    plotlyCharts: count(/class="[^"]*\bjs-plotly-plot\b[^"]*"/g),
    plotlySvgs: count(/<svg[^>]*class="main-svg"/g),
    chartDivs: count(/class="[^"]*\bser-plotly\b[^"]*"/g),
  };
}

/** Loads `htmlPath` in headless Chromium, counts drawn charts, optionally saves a screenshot. */
export async function checkHtmlRender(
  htmlPath: string,
  screenshotPath?: string,
  windowSize = "1200,3000",
): Promise<RenderCheck> {
  const url = `file://${htmlPath}`;
  const dom = await chromium(["--dump-dom", url]);
  if (screenshotPath) {
    await chromium([`--window-size=${windowSize}`, `--screenshot=${screenshotPath}`, url]);
  }
  return countRendered(dom);
}
