/**
 * Long recordings read in blocks: the streamed samples are the whole file's, bit for bit, at
 * every rate; a 30-minute file on disk goes through in bounded pieces.
 */
import { join } from "node:path";
import { assert, assertEquals, assertThrows } from "./assert.ts";
import { bytesSource, encodeWav } from "../lib/audio/wav.ts";
import { loadAudio } from "../lib/audio/load.ts";
import { collectSamples, openAudioStream } from "../lib/audio/stream.ts";
import { openFileSource } from "../lib/audio/read_file.ts";

function noiseLike(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, (_, i) => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return 0.3 * Math.sin(i * 0.01) + 0.2 * (s / 2 ** 32 - 0.5);
  });
}

Deno.test("a file streamed in small blocks gives exactly the samples of loading it whole", () => {
  for (const rate of [48000, 44100, 16000, 22050, 8000]) {
    const left = noiseLike(Math.round(rate * 1.37), rate);
    const right = noiseLike(left.length, rate + 1);
    const wav = encodeWav([left, right], rate);
    const whole = loadAudio(wav, {
      sampleRateHz: 22050,
      offsetS: 0,
      durationS: null,
      resampler: "kaiser_best",
    }, "x.wav").samples;
    for (const blockFrames of [1000, 4096, 1 << 20]) {
      const stream = openAudioStream(bytesSource(wav), "x.wav", 22050, "kaiser_best", blockFrames);
      assertEquals(stream.length, whole.length, `${rate} Hz`);
      const got = collectSamples(stream).read(0, stream.length);
      let same = true;
      for (let i = 0; i < got.length; i++) if (got[i] !== whole[i]) same = false;
      assert(same, `${rate} Hz in blocks of ${blockFrames}: samples differ from the whole file's`);
    }
  }
});

Deno.test("a long recording is held at 16 bits, within one quantisation step of the floats", () => {
  const rate = 22050;
  const x = noiseLike(rate * 3, 7);
  const stream = openAudioStream(bytesSource(encodeWav(x, rate, { float: true })), "f.wav", rate);
  const store = collectSamples(stream, 1); // past 1 s: 16-bit
  assertEquals(store.bytesPerSample, 2);
  const back = store.read(100, 200);
  for (let i = 0; i < back.length; i++) assert(Math.abs(back[i] - x[100 + i]) <= 1 / 32768);
});

Deno.test("a 30-minute file on disk streams through in blocks; a truncated one names the file", async () => {
  const tmp = await Deno.makeTempDir();
  try {
    const rate = 16000;
    const minutes = 30;
    // Written block by block too: the test itself never holds the whole file.
    const path = join(tmp, "podcast.wav");
    const n = rate * 60 * minutes;
    const header = encodeWav(new Float32Array(0), rate).subarray(0, 44);
    const view = new DataView(header.buffer.slice(0));
    view.setUint32(4, 36 + 2 * n, true);
    view.setUint32(40, 2 * n, true);
    const file = await Deno.open(path, { write: true, create: true });
    await file.write(new Uint8Array(view.buffer));
    const minute = encodeWav(noiseLike(rate * 60, 3), rate).subarray(44);
    for (let m = 0; m < minutes; m++) await file.write(minute);
    file.close();
    const src = openFileSource(path);
    const stream = openAudioStream(src, path, 22050);
    let blocks = 0;
    let last = 0;
    for (const b of stream.blocks()) {
      assertEquals(b.start, last, "blocks come in order, without gaps");
      last += b.samples.length;
      blocks++;
    }
    src.close();
    assertEquals(last, stream.length);
    assertEquals(stream.length, Math.ceil(n * 22050 / rate));
    assert(blocks >= 28, `${blocks} blocks`);
    await Deno.truncate(path, 44 + 2 * n - 1000);
    const cut = openFileSource(path);
    assertThrows(() => openAudioStream(cut, path, 22050), Error, `${path}: not a valid WAV file`);
    cut.close();
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
