/**
 * A tiny worker pool (Deno-only): `size` module workers, each sent an init message and then one
 * job at a time; replies (results, and any progress along the way) come back in arrival order
 * through `onReply`. The first job error stops the pool and rejects with that error.
 */

export interface PoolOptions<Job, Reply> {
  workerUrl: URL;
  size: number;
  /** The first message of worker `i` (the same for all, or one per worker). */
  init: unknown | ((worker: number) => unknown);
  jobs: Job[];
  /** Message for job `i`. */
  message(job: Job, index: number): unknown;
  /** Handles a reply; returns an error message to abort the pool, or nothing. */
  onReply(reply: Reply): string | void;
  /** Whether a reply ends its job (default: every reply does; progress replies may not). */
  endsJob?(reply: Reply): boolean;
  /**
   * Lending idle workers: when no job is left for a free worker and another is still busy, the
   * free one gets `message(free, busy)` (e.g. "compute half of its products"); `release(busy)`
   * runs once the busy worker's job has ended and must set its helper free again.
   */
  lend?: { message(free: number, busy: number): unknown; release(busy: number): void };
}

export function defaultWorkerCount(requested: number): number {
  return requested > 0 ? requested : Math.max(1, navigator.hardwareConcurrency || 1);
}

/**
 * Feature and augment workers: `--workers` (0: one per core), at most one per core, since each
 * worker holds its own copy of the DSP (about 30 MB) and more than the cores only queue; a capped
 * request is said once on `say`.
 */
export function featureWorkerCount(requested: number, say?: (line: string) => void): number {
  const cores = Math.max(1, navigator.hardwareConcurrency || 1);
  if (requested > cores) {
    say?.(`--workers=${requested}: capped at this machine's ${cores} cores\n`);
    return cores;
  }
  return defaultWorkerCount(requested);
}

export function runPool<Job, Reply>(opts: PoolOptions<Job, Reply>): Promise<void> {
  const size = Math.max(1, Math.min(opts.size, opts.jobs.length));
  if (opts.jobs.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let finished = 0;
    let failed = false;
    const working = new Set<number>();
    const helperOf = new Map<number, number>();
    const stop = () => workers.forEach((w) => w.terminate());
    const feed = (i: number) => {
      if (next < opts.jobs.length) {
        const j = next++;
        working.add(i);
        workers[i].postMessage(opts.message(opts.jobs[j], j));
        return;
      }
      // Nothing left to start: help a worker that is still busy and has no helper yet.
      const busy = [...working].find((b) => !helperOf.has(b));
      if (opts.lend && busy !== undefined) {
        helperOf.set(busy, i);
        workers[i].postMessage(opts.lend.message(i, busy));
      }
    };
    for (let k = 0; k < size; k++) {
      const w = new Worker(opts.workerUrl, { type: "module" });
      workers.push(w);
      w.onmessage = (ev: MessageEvent<Reply>) => {
        if (failed) return;
        let problem: string | void;
        try {
          problem = opts.onReply(ev.data);
        } catch (err) {
          problem = (err as Error).message;
        }
        if (problem) {
          failed = true;
          helperOf.forEach((_, busy) => opts.lend?.release(busy));
          stop();
          reject(new Error(problem));
          return;
        }
        if (opts.endsJob && !opts.endsJob(ev.data)) return;
        working.delete(k);
        const helper = helperOf.get(k);
        if (helper !== undefined) {
          helperOf.delete(k);
          opts.lend!.release(k);
        }
        if (++finished === opts.jobs.length) {
          stop();
          resolve();
          return;
        }
        feed(k);
        if (helper !== undefined) feed(helper);
      };
      w.onerror = (ev) => {
        ev.preventDefault();
        if (failed) return;
        failed = true;
        helperOf.forEach((_, busy) => opts.lend?.release(busy));
        stop();
        reject(new Error(`worker crashed: ${ev.message}`));
      };
      w.postMessage(typeof opts.init === "function" ? opts.init(k) : opts.init);
    }
    for (let k = 0; k < size; k++) feed(k);
  });
}
