/**
 * Scoring a fold with networks a stored run already trained, instead of training them again
 * (Deno only: reads the run folder). What `deno task rescore` uses to measure settings that
 * change only how test clips are scored (`eval.tta`) at no training cost: the fold is prepared
 * exactly as training prepared it, so the scaler fitted now must equal the one stored beside
 * each network, and a run whose features or splits changed since is refused.
 */
import { join } from "node:path";
import { linearMemberWeight, type RunConfig } from "../config/config.ts";
import { loadModel } from "../model/io_fs.ts";
import { parseScaler, type Scaler } from "../normalise/scaler.ts";
import { RUN_FILES } from "../run/record.ts";
import type { RunHistory } from "../eval/summary.ts";
import { readJsonFile } from "../cache/files.ts";
import { finishFold, type FoldResult, type PreparedFold, type RowSource } from "./fold.ts";
import { memberNames, memberView, testProbabilities, type TrainedMember } from "./members.ts";
import { fitFoldLinear } from "./linear.ts";
import { trainingEmbeddingStats } from "../model/voice_batch_norm.ts";

/** Largest difference between two scalers' means and spreads. */
function scalerDistance(a: Scaler, b: Scaler): number {
  if (a.mean.length !== b.mean.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < a.mean.length; i++) {
    worst = Math.max(worst, Math.abs(a.mean[i] - b.mean[i]), Math.abs(a.scale[i] - b.scale[i]));
  }
  return worst;
}

/**
 * Each fold scored with the networks `runDir` trained for it (its members in order), the
 * fold's training history taken from the run. `onFold` gets each result as training would.
 */
export async function scoreStoredFolds(
  config: RunConfig,
  src: RowSource,
  folds: readonly PreparedFold[],
  runDir: string,
  onFold: (result: FoldResult, index: number) => Promise<void>,
): Promise<void> {
  const history = await readJsonFile<RunHistory>(join(runDir, RUN_FILES.history));
  const k = config.train.ensemble;
  for (const [f, fold] of folds.entries()) {
    const name = fold.plan.name;
    const epochs = history.folds.find((h) => h.name === name)?.epochs;
    if (!epochs) throw new Error(`${runDir}: its history has no fold ${name}`);
    const members: TrainedMember[] = [];
    for (const [m, member] of memberNames(name, k).entries()) {
      const dir = join(runDir, RUN_FILES.models, member);
      const scalerPath = join(dir, RUN_FILES.scaler);
      const stored = parseScaler(await readJsonFile(scalerPath), scalerPath);
      // The fold is prepared from today's cache; the same rows give the same scaler.
      const off = scalerDistance(stored, fold.scaler);
      if (!(off <= 1e-4 * (1 + Math.max(...stored.scale.map(Math.abs))))) {
        throw new Error(
          `${scalerPath}: the scaler fitted now differs from the stored one (by ${off}): the ` +
            `features, augmentation or split differ from the run's; train it again instead`,
        );
      }
      const test = memberView(config, src, fold, m)(fold.test);
      const model = await loadModel(dir);
      // The training voices' embedding statistics, computed again from the fold's rows.
      const embedding = fold.trainVoices
        ? trainingEmbeddingStats(
          model,
          memberView(config, src, fold, m)(fold.train).x,
          test.rowShape,
          fold.trainVoices,
        )
        : undefined;
      const probabilities = testProbabilities(
        model,
        test.x,
        test.rowShape,
        fold.testVoices,
        embedding,
      );
      members.push({ model, history: epochs, probabilities, trainSeconds: 0, embedding });
    }
    // The linear member is fitted again (deterministic, seconds): the same as training's.
    const linear = linearMemberWeight(config) > 0 ? fitFoldLinear(config, src, fold) : undefined;
    await onFold(finishFold(config, src, fold, members, linear), f);
  }
}
