/**
 * What an executed notebook must contain, read from its own cells. Pure.
 *
 * The notebooks follow one convention that makes this checkable: a cell shows things only
 * through `show*(...)` calls written out (never in a loop) and `liveTrainingCurves()` (one
 * chart, updated in place), so counting those calls in a cell's source says how many displays
 * its output must hold, and how many of them are Plotly charts. Lost kernel messages (the
 * failure the headless runner guards against) show up as a cell with fewer outputs.
 */
import { PLOTLY_MIME } from "../plots/bundles.ts";

export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
}

export interface NotebookCell {
  cell_type: string;
  source: string | string[];
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

export interface Notebook {
  cells: NotebookCell[];
  metadata: Record<string, unknown>;
}

export const sourceOf = (cell: NotebookCell) =>
  Array.isArray(cell.source) ? cell.source.join("") : cell.source;

export interface ExpectedOutputs {
  displays: number;
  plotly: number;
  /** The cell prints (console.log), so a stdout stream must be there. */
  stdout: boolean;
}

export function expectedOutputs(source: string): ExpectedOutputs {
  const count = (re: RegExp) => (source.match(re) ?? []).length;
  const figures = count(/\bshowFigure\(/g) + count(/\bliveTrainingCurves\(/g);
  return {
    displays: figures + count(/\bshow(Table|Audio|Markdown)?\(/g),
    plotly: figures,
    stdout: /\bconsole\.log\(/.test(source),
  };
}

function isDisplay(o: NotebookOutput): boolean {
  return o.output_type === "display_data" || o.output_type === "execute_result";
}

export function countPlotlyOutputs(nb: Notebook): number {
  return nb.cells.flatMap((c) => c.outputs ?? []).filter((o) =>
    isDisplay(o) && o.data !== undefined && PLOTLY_MIME in o.data
  ).length;
}

/** Every way an executed notebook falls short of its cells' expectations (empty: none). */
export function outputProblems(nb: Notebook): string[] {
  const problems: string[] = [];
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    const outs = cell.outputs ?? [];
    const want = expectedOutputs(sourceOf(cell));
    const displays = outs.filter(isDisplay);
    const plotly = displays.filter((o) => o.data && PLOTLY_MIME in o.data).length;
    const where = `cell ${i}`;
    for (const e of outs.filter((o) => o.output_type === "error")) {
      problems.push(`${where}: ${e.ename}: ${e.evalue}`);
    }
    if (cell.execution_count == null) problems.push(`${where}: not executed`);
    if (displays.length !== want.displays) {
      problems.push(`${where}: ${displays.length} displays, expected ${want.displays}`);
    }
    if (plotly !== want.plotly) {
      problems.push(`${where}: ${plotly} charts, expected ${want.plotly}`);
    }
    if (want.stdout && !outs.some((o) => o.output_type === "stream" && o.name === "stdout")) {
      problems.push(`${where}: prints, but no stdout output`);
    }
  });
  return problems;
}

/** Problems with a notebook as committed: outputs left in, other kernels, imports from outside lib. */
export function committedProblems(nb: Notebook): string[] {
  const problems: string[] = [];
  const kernel = (nb.metadata.kernelspec as { name?: string } | undefined)?.name;
  if (kernel !== "deno") problems.push(`kernelspec is ${kernel}, not deno`);
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    if ((cell.outputs ?? []).length) problems.push(`cell ${i}: committed with outputs`);
    if (cell.execution_count != null) problems.push(`cell ${i}: committed with an execution count`);
    for (const m of sourceOf(cell).matchAll(/\bfrom\s+"([^"]+)"|\bimport\s*\(\s*"([^"]+)"/g)) {
      const spec = m[1] ?? m[2];
      if (!spec.startsWith("../lib/")) problems.push(`cell ${i}: imports ${spec}, not from ../lib`);
    }
  });
  return problems;
}
