/**
 * The progress bar in a log (not a terminal): a line per 10 %, and one at least every minute
 * while the count moves, with the rate per minute and the time left.
 */
import { assert, assertEquals } from "./assert.ts";
import { formatSeconds, ProgressBar } from "../lib/util/progress.ts";

function logSink() {
  const lines: string[] = [];
  return { lines, sink: { isTerminal: false, write: (t: string) => lines.push(t.trimEnd()) } };
}

Deno.test("progress in a log: slow work still prints a line a minute, with epochs/min and an ETA", () => {
  const { lines, sink } = logSink();
  let nowMs = 0;
  // 600 epochs at one every 20 s: the first 10 % takes 20 minutes.
  const bar = new ProgressBar("train", 600, {
    sink,
    unit: "epochs",
    perMinute: true,
    now: () => nowMs,
  });
  for (let e = 1; e <= 30; e++) {
    // Fractions of an epoch move the bar between whole epochs.
    nowMs += 10_000;
    bar.update(e - 0.5);
    nowMs += 10_000;
    bar.update(e);
  }
  // 10 minutes in: the start line plus one a minute, though no 10 % step was reached.
  assertEquals(lines.length, 11, lines.join("\n"));
  const last = lines[lines.length - 1];
  assert(/ 30\/600 epochs /.test(last), last);
  assert(/ 3\.0 epochs\/min /.test(last), last);
  assert(/ eta 3h10m$/.test(last), last);
});

Deno.test("progress in a log: fast work prints per 10 %, not more", () => {
  const { lines, sink } = logSink();
  let nowMs = 0;
  const bar = new ProgressBar("featurize", 1000, { sink, unit: "clips", now: () => nowMs });
  for (let i = 1; i <= 1000; i++) {
    nowMs += 5;
    bar.update(i);
  }
  bar.finish();
  // start, 10 % ... 100 %, and the finishing line
  assertEquals(lines.length, 12);
  assert(lines[10].includes("100%"));
});

Deno.test("formatSeconds: seconds, minutes and hours as a person reads them", () => {
  assertEquals(formatSeconds(75.4), "1m15s");
  assertEquals(formatSeconds(42), "42s");
  assertEquals(formatSeconds(7540), "2h05m");
});
