/**
 * Training curves that redraw in place while a notebook trains (Deno-only: uses the kernel's
 * display ids through `display.ts`).
 */
import type { ExperimentHooks } from "../experiment/run.ts";
import type { RunHistory } from "../eval/summary.ts";
import { trainingCurvesFigure } from "../plots/figures.ts";
import { figureBundle } from "../plots/bundles.ts";
import { liveDisplay } from "./display.ts";

export interface LiveCurves {
  hooks: ExperimentHooks;
  history: RunHistory;
  /** Ends the live display (outside a kernel: prints its final state). */
  close(): void;
}

export async function liveTrainingCurves(): Promise<LiveCurves> {
  const history: RunHistory = { folds: [] };
  const live = await liveDisplay(figureBundle(trainingCurvesFigure(history)));
  return {
    history,
    hooks: {
      onEpoch: async (fold, record) => {
        // One curve per fold: an ensemble's later members retrace the first one's schedule.
        if (fold.member > 0) return;
        (history.folds[fold.index] ??= { name: fold.name, epochs: [] }).epochs.push(record);
        await live.update(figureBundle(trainingCurvesFigure(history)));
      },
    },
    close: () => live.close(),
  };
}
