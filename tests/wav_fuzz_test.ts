/**
 * The WAV reader under fire: thousands of seeded mutations of real headers (flipped bytes, fields
 * set to extreme values, truncations, chunk sizes that lie). Every outcome must be a decoded clip
 * of finite samples or an Error whose message names the file: never a hang, another kind of
 * crash, or a non-finite sample.
 */
import { join } from "node:path";
import { assert } from "./assert.ts";
import { decodeWav, encodeWav } from "../lib/audio/wav.ts";
import { loadAudio } from "../lib/audio/load.ts";
import { createRng, type Rng } from "../lib/util/random.ts";
import { DEFAULT_CONFIG } from "../lib/config/config.ts";
import { tone } from "./helpers.ts";
import { CORPUS_DIR, HAVE_CORPUS } from "./fixtures.ts";

/** Seeds: small files of every encoding we read, plus a real RAVDESS header when present. */
function seeds(): Uint8Array[] {
  const x = tone(2400, 440, 24000, 0.5);
  const out = [
    encodeWav(x, 24000),
    encodeWav([x, x], 16000, { bitDepth: 24 }),
    encodeWav(x, 8000, { bitDepth: 8 }),
    encodeWav(x, 44100, { bitDepth: 32 }),
    encodeWav([x, x, x], 48000, { float: true }),
  ];
  if (HAVE_CORPUS) {
    const real = Deno.readFileSync(join(CORPUS_DIR, "Actor_01", "03-01-01-01-01-01-01.wav"));
    out.push(real.slice(0, 8000)); // its header (with FLLR) and the start of its samples
  }
  return out;
}

const FIELD_VALUES = [0, 1, 2, 3, 0x7fff, 0xffff, 0x7fffffff, 0xffffffff, 3_000_000_000, 44, 8];

function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  let b = src.slice();
  const kind = rng.int(0, 6);
  if (kind === 0) {
    // A few bytes of the first 128 (the header and chunk table) changed at random.
    for (let n = rng.int(1, 5); n > 0; n--) {
      b[rng.int(0, Math.min(128, b.length))] = rng.int(0, 256);
    }
  } else if (kind === 1 || kind === 2) {
    // A 16- or 32-bit little-endian field set to an extreme value.
    const at = rng.int(0, Math.min(120, b.length - 4));
    const v = FIELD_VALUES[rng.int(0, FIELD_VALUES.length)];
    const view = new DataView(b.buffer);
    if (kind === 1) view.setUint16(at, v & 0xffff, true);
    else view.setUint32(at, v >>> 0, true);
  } else if (kind === 3) {
    b = b.slice(0, rng.int(0, b.length)); // truncated anywhere
  } else if (kind === 4) {
    // Random bytes appended (a trailing chunk or garbage).
    const extra = Uint8Array.from({ length: rng.int(1, 64) }, () => rng.int(0, 256));
    const out = new Uint8Array(b.length + extra.length);
    out.set(b);
    out.set(extra, b.length);
    b = out;
  } else {
    // Sample bytes overwritten with random ones (float files then hold NaN/Inf patterns).
    for (let n = rng.int(1, 50); n > 0; n--) b[rng.int(44, b.length)] = rng.int(0, 256);
  }
  return b;
}

Deno.test("wav fuzz: 4,000 mutated files decode to finite samples or fail with an Error naming the file", () => {
  const rng = createRng("wav-fuzz");
  const audio = { ...DEFAULT_CONFIG.audio, offsetS: 0, durationS: 0.05 };
  const list = seeds();
  const outcomes = { decoded: 0, refused: 0 };
  for (let i = 0; i < 4000; i++) {
    const name = `fuzz-${i}.wav`;
    const bytes = mutate(list[i % list.length], rng);
    const started = performance.now();
    try {
      // Header and samples as they are, then the loader's window, mono and resampling.
      const whole = decodeWav(bytes, name);
      const clip = loadAudio(bytes, audio, name);
      for (const ch of [...whole.channels, clip.samples]) {
        for (let j = 0; j < ch.length; j++) {
          assert(Number.isFinite(ch[j]), `${name}: non-finite sample ${ch[j]} at ${j}`);
        }
      }
      outcomes.decoded++;
    } catch (err) {
      if ((err as Error).name === "AssertionError") throw err;
      assert(err instanceof Error, `${name}: threw a non-Error ${String(err)}`);
      assert(
        err.message.includes(name),
        `${name}: ${err.constructor.name} without the file name: ${err.message}`,
      );
      outcomes.refused++;
    }
    const ms = performance.now() - started;
    assert(ms < 2000, `${name}: took ${ms.toFixed(0)} ms`);
  }
  // Both outcomes happen: the mutations are neither all harmless nor all fatal.
  assert(outcomes.decoded > 200 && outcomes.refused > 200, JSON.stringify(outcomes));
});
