/**
 * Trains every network of an experiment (Deno-only): the folds' ensemble members are
 * independent jobs, so `train.parallel` of them train side by side, each in a worker with its
 * own `train.threads`-thread BLAS. When fewer networks are left than workers, an idle worker
 * computes half of each large product of a busy one (`model/split_gemm.ts`). A network computes
 * the same numbers in a worker as in this thread, helped or not, so how many train at once
 * changes the wall time only, not the results.
 */
import * as tf from "@tensorflow/tfjs";
// Saved networks may hold attention pooling: its class must be registered before loading.
import "../model/attention_pool.ts";
import "../model/std_pool.ts";
import "../model/squeeze_excite.ts";
import { linearMemberWeight, type RunConfig } from "../config/config.ts";
import { finishFold, type FoldResult, type PreparedFold, type RowSource } from "./fold.ts";
import { memberJob, type TrainedMember, trainMember } from "./members.ts";
import { fitFoldLinear } from "./linear.ts";
import type { EpochRecord } from "../model/train.ts";
import type { Gemm } from "../model/gemm.ts";
import { createHelperLink, releaseHelper } from "../model/split_gemm.ts";
import { ProgressBar, type ProgressSink } from "../util/progress.ts";
import { defaultWorkerCount, runPool } from "../util/pool.ts";
import type { TrainReply, TrainRequest } from "./train_worker.ts";

export type MemberEpochHook = (
  fold: { index: number; name: string; member: number },
  record: EpochRecord,
) => void | Promise<void>;

/** Networks training at once: `train.parallel` (0: one per core), never more than there are. */
export function parallelNetworks(config: RunConfig, networks: number): number {
  return Math.max(1, Math.min(defaultWorkerCount(config.train.parallel), networks));
}

/**
 * Trains the members of every fold and scores each fold, in fold order. `onFold` runs as each
 * fold is scored (in order), e.g. to save its models and print its line. `gemm` trains the
 * networks this thread trains itself (one at a time); workers choose their own.
 */
export async function trainFolds(
  config: RunConfig,
  gemm: Gemm,
  src: RowSource,
  folds: readonly PreparedFold[],
  sink: ProgressSink,
  onEpoch: MemberEpochHook | undefined,
  onFold: (result: FoldResult, index: number) => Promise<void>,
): Promise<void> {
  const k = config.train.ensemble;
  // Jobs are built when they start: a member's view of the rows is a copy when it sees part of
  // the input, and a whole run's worth of copies at once would be wasted memory.
  const jobs = folds.flatMap((_, f) =>
    Array.from({ length: k }, (_, m) => ({ fold: f, member: m }))
  );
  const jobOf = (j: (typeof jobs)[number]) => memberJob(config, src, folds[j.fold], j.member);
  const parallel = parallelNetworks(config, jobs.length);
  const bar = new ProgressBar(
    `train ${folds.length} fold${folds.length === 1 ? "" : "s"} x ${k} network${
      k === 1 ? "" : "s"
    } (${parallel} at a time)`,
    jobs.length * config.train.epochs,
    { sink, unit: "epochs", perMinute: true },
  );
  let epochs = 0;
  // The running epoch's part done, per job: the bar moves (and a log gets its line a minute)
  // within long epochs too.
  const partial = new Float64Array(jobs.length);
  let partialSum = 0;
  const setPartial = (job: number, fraction: number) => {
    partialSum += fraction - partial[job];
    partial[job] = fraction;
    bar.update(epochs + partialSum);
  };
  // Hooks run one after another in arrival order, even when a notebook's redraw is slow.
  let hookChain: Promise<void> = Promise.resolve();
  const epochDone = (job: number, f: number, member: number, record: EpochRecord) => {
    epochs++;
    setPartial(job, 0);
    if (onEpoch) {
      const fold = { index: f, name: folds[f].plan.name, member };
      hookChain = hookChain.then(() => onEpoch(fold, record));
    }
  };
  const trained: TrainedMember[][] = folds.map(() => []);
  if (parallel === 1) {
    for (const [index, j] of jobs.entries()) {
      const { fold, member } = j;
      let last = performance.now();
      trained[fold][member] = await trainMember(jobOf(j), gemm, async (record) => {
        epochDone(index, fold, member, record);
        await hookChain;
      }, (batch, batches) => {
        if (performance.now() - last < 1000 || batch === batches) return;
        last = performance.now();
        setPartial(index, batch / batches);
      });
    }
  } else {
    const replies: Extract<TrainReply, { kind: "done" }>[] = [];
    const links = Array.from({ length: parallel }, () => createHelperLink());
    await runPool<(typeof jobs)[number], TrainReply>({
      workerUrl: new URL("./train_worker.ts", import.meta.url),
      size: parallel,
      init: (w: number) =>
        ({
          kind: "init",
          gemm: config.train.gemm,
          threads: config.train.threads,
          kernels: config.train.kernels,
          link: links[w],
        }) as TrainRequest,
      // The last networks borrow the cores that have nothing left to train (half of each large
      // product; their numbers do not change).
      // (tfjs's stock kernels keep products whole, as runs before the split did: unhelped.)
      lend: config.train.engine === "static" || config.train.kernels === "fused"
        ? {
          message: (_free, busy) => ({ kind: "help", link: links[busy] }) as TrainRequest,
          release: (busy) => releaseHelper(links[busy]),
        }
        : undefined,
      jobs,
      message: (j, index) => ({ kind: "job", index, job: jobOf(j) }) as TrainRequest,
      onReply: (reply) => {
        const j = jobs[reply.index];
        if (reply.kind === "error") {
          return `training ${folds[j.fold].plan.name} member ${j.member + 1}: ${reply.message}`;
        }
        if (reply.kind === "epoch") epochDone(reply.index, j.fold, j.member, reply.record);
        else if (reply.kind === "progress") setPartial(reply.index, reply.fraction);
        else replies.push(reply);
      },
      endsJob: (reply) => reply.kind !== "epoch" && reply.kind !== "progress",
    });
    for (const reply of replies) {
      const j = jobs[reply.index];
      const model = await tf.loadLayersModel(tf.io.fromMemory({
        modelTopology: reply.model.modelTopology,
        weightSpecs: reply.model.weightSpecs,
        weightData: reply.model.weightData,
      }));
      trained[j.fold][j.member] = {
        model,
        history: reply.history,
        probabilities: reply.probabilities,
        trainSeconds: reply.trainSeconds,
        embedding: reply.embedding,
      };
    }
  }
  await hookChain;
  bar.finish();
  for (const [f, fold] of folds.entries()) {
    const linear = linearMemberWeight(config) > 0 ? fitFoldLinear(config, src, fold) : undefined;
    await onFold(finishFold(config, src, fold, trained[f], linear), f);
  }
}
