/**
 * A tiny worker pool (Deno-only): `size` module workers, each sent an init message and then one
 * job at a time; replies (results, and any progress along the way) come back in arrival order
 * through `onReply`. The first job error stops the pool and rejects with that error.
 */

export interface PoolOptions<Job, Reply> {
  workerUrl: URL;
  size: number;
  init: unknown;
  jobs: Job[];
  /** Message for job `i`. */
  message(job: Job, index: number): unknown;
  /** Handles a reply; returns an error message to abort the pool, or nothing. */
  onReply(reply: Reply): string | void;
  /** Whether a reply ends its job (default: every reply does; progress replies may not). */
  endsJob?(reply: Reply): boolean;
}

export function defaultWorkerCount(requested: number): number {
  return requested > 0 ? requested : Math.max(1, navigator.hardwareConcurrency || 1);
}

export function runPool<Job, Reply>(opts: PoolOptions<Job, Reply>): Promise<void> {
  const size = Math.max(1, Math.min(opts.size, opts.jobs.length));
  if (opts.jobs.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let finished = 0;
    let failed = false;
    const stop = () => workers.forEach((w) => w.terminate());
    const feed = (w: Worker) => {
      if (next < opts.jobs.length) {
        const i = next++;
        w.postMessage(opts.message(opts.jobs[i], i));
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
          stop();
          reject(new Error(problem));
          return;
        }
        if (opts.endsJob && !opts.endsJob(ev.data)) return;
        if (++finished === opts.jobs.length) {
          stop();
          resolve();
        } else feed(w);
      };
      w.onerror = (ev) => {
        ev.preventDefault();
        if (failed) return;
        failed = true;
        stop();
        reject(new Error(`worker crashed: ${ev.message}`));
      };
      w.postMessage(opts.init);
      feed(w);
    }
  });
}
