/**
 * A text progress bar. Pure: it writes through a sink, so the CLI gives it stderr and tests give
 * it an array. On a terminal it redraws one line; elsewhere (CI logs, `> log`) it prints a line
 * per 10 %, and at least one a minute while the count moves, so a long stage never looks stuck.
 */

export interface ProgressSink {
  write(text: string): void;
  /** True when the sink is an interactive terminal that understands `\r`. */
  isTerminal: boolean;
}

export interface ProgressOptions {
  sink: ProgressSink;
  /** Formats a count for display, e.g. bytes as MB. */
  format?: (n: number) => string;
  unit?: string;
  now?: () => number;
  /** Show the rate as units per minute (e.g. "3.2 epochs/min") beside the ETA. */
  perMinute?: boolean;
  /** Most milliseconds between two lines when the output is not a terminal (default 60 s). */
  logEveryMs?: number;
}

export class ProgressBar {
  #done = 0;
  #lastDraw = -Infinity;
  #lastLine = -Infinity;
  #lastDecile = -1;
  #start: number;
  #finished = false;

  constructor(readonly label: string, public total: number, private opts: ProgressOptions) {
    this.#start = this.#now();
    this.#draw(true);
  }

  #now(): number {
    return this.opts.now ? this.opts.now() : performance.now();
  }

  get done(): number {
    return this.#done;
  }

  tick(n = 1): void {
    this.update(this.#done + n);
  }

  update(done: number): void {
    this.#done = done;
    this.#draw(false);
  }

  finish(extra = ""): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.total > 0) this.#done = Math.max(this.#done, this.total);
    this.#draw(true, extra);
    if (this.opts.sink.isTerminal) this.opts.sink.write("\n");
  }

  #line(extra: string): string {
    const fmt = this.opts.format ?? ((n: number) => String(n));
    const unit = this.opts.unit ? ` ${this.opts.unit}` : "";
    const elapsedS = (this.#now() - this.#start) / 1000;
    const known = this.total > 0;
    const frac = known ? Math.min(1, this.#done / this.total) : 0;
    const width = 24;
    const filled = Math.round(frac * width);
    const bar = known
      ? `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${
        (frac * 100).toFixed(0).padStart(3)
      }% `
      : "";
    const rate = elapsedS > 0 ? this.#done / elapsedS : 0;
    const eta = known && rate > 0 && frac < 1
      ? ` eta ${formatSeconds((this.total - this.#done) / rate)}`
      : "";
    const perMinute = this.opts.perMinute && rate > 0
      ? ` ${(rate * 60).toFixed(rate * 60 < 10 ? 1 : 0)}${unit}/min`
      : "";
    // Fractions of a unit (an epoch part done) count toward the rate, not the shown count.
    const done = Math.floor(this.#done + 1e-9);
    const count = known ? `${fmt(done)}/${fmt(this.total)}${unit}` : `${fmt(done)}${unit}`;
    return `${this.label} ${bar}${count} ${elapsedS.toFixed(1)}s${perMinute}${eta}${
      extra ? " " + extra : ""
    }`;
  }

  #draw(force: boolean, extra = ""): void {
    const { sink } = this.opts;
    if (sink.isTerminal) {
      const t = this.#now();
      if (!force && t - this.#lastDraw < 100) return;
      this.#lastDraw = t;
      sink.write(`\r\x1b[2K${this.#line(extra)}`);
      return;
    }
    const decile = this.total > 0 ? Math.floor((10 * this.#done) / this.total) : 0;
    const t = this.#now();
    const due = t - this.#lastLine >= (this.opts.logEveryMs ?? 60_000);
    if (force || decile > this.#lastDecile || due) {
      this.#lastDecile = decile;
      this.#lastLine = t;
      sink.write(this.#line(extra) + "\n");
    }
  }
}

/** 75 -> "75s", 754 -> "12m34s", 7540 -> "2h05m". */
export function formatSeconds(s: number): string {
  const t = Math.round(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  return `${Math.floor(t / 3600)}h${String(Math.floor((t % 3600) / 60)).padStart(2, "0")}m`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
