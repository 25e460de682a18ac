/**
 * WAV decoding: validates the RIFF structure ourselves (so truncated or foreign files get an
 * error that says what is wrong), then lets `wav-decoder` turn the samples into floats.
 *
 * Pure: no Deno APIs; give it the file's bytes.
 */
import wavDecoder from "wav-decoder";

/** A WAV file's samples as floats, per channel, with what its header said. */
export interface DecodedAudio {
  /** The file's sample rate. */
  sampleRateHz: number;
  /** Frames in the whole file (the channels may hold only a cropped part of them). */
  totalFrames: number;
  /** One Float32Array per channel, samples in [-1, 1). */
  channels: Float32Array[];
  /** Bits per sample in the file. */
  bitDepth: number;
  /** Integer PCM or IEEE float samples. */
  format: "pcm" | "float";
}

interface RiffChunk {
  id: string;
  offset: number; // offset of the chunk's payload
  size: number;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

function fourCC(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

/**
 * Bytes of a file, read by position: all of it in memory (`bytesSource`), or a file on disk read
 * piece by piece (`read_file.ts`), so a two-hour recording is parsed without reading it whole.
 */
export interface ByteSource {
  /** The file's length in bytes. */
  length: number;
  /** `count` bytes from `at` (fewer only at the end of the file). */
  read(at: number, count: number): Uint8Array;
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return { length: bytes.length, read: (at, count) => bytes.subarray(at, at + count) };
}

/** Lists the chunks of a RIFF/WAVE file, or throws an error naming `source` and the defect. */
export function riffChunks(input: Uint8Array | ByteSource, source: string): RiffChunk[] {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid WAV file: ${why}`);
  };
  const head = src.read(0, 12);
  if (src.length < 12) fail(`only ${src.length} bytes, too short for a RIFF header`);
  if (fourCC(head, 0) !== "RIFF") {
    fail(`starts with ${JSON.stringify(fourCC(head, 0))}, not "RIFF"`);
  }
  if (fourCC(head, 8) !== "WAVE") {
    fail(`RIFF type is ${JSON.stringify(fourCC(head, 8))}, not "WAVE"`);
  }
  const chunks: RiffChunk[] = [];
  let at = 12;
  while (at + 8 <= src.length) {
    const header = src.read(at, 8);
    const id = fourCC(header, 0);
    const size = new DataView(header.buffer, header.byteOffset, 8).getUint32(4, true);
    const offset = at + 8;
    const remaining = src.length - offset;
    if (size > remaining) {
      // Streaming writers leave 0 or 0xFFFFFFFF in the data size; anything else is truncation.
      if (id === "data" && (size === 0xffffffff || size === 0)) {
        chunks.push({ id, offset, size: remaining });
        break;
      }
      fail(`truncated: chunk "${id}" declares ${size} bytes but only ${remaining} remain`);
    }
    chunks.push({ id, offset, size });
    if (id === "data") break; // anything after the samples is irrelevant to decoding
    at = offset + size + (size & 1); // chunks are word-aligned
  }
  if (!chunks.some((c) => c.id === "fmt ")) fail('no "fmt " chunk');
  if (!chunks.some((c) => c.id === "data")) fail('no "data" chunk (file truncated?)');
  return chunks;
}

/** A part of a file to decode, in seconds, with `librosa.load`'s `offset` and `duration`. */
export interface DecodeWindow {
  /** Seconds skipped at the start. */
  offsetS: number;
  /** Seconds kept after the offset; null keeps the rest. */
  durationS: number | null;
}

/**
 * First frame and frame count libsndfile's seek + read give in `librosa.load`: start at
 * `trunc(offset * sr)`, keep `trunc(duration * sr)` frames, fewer if the file ends first.
 */
export function windowFrames(
  totalFrames: number,
  sampleRateHz: number,
  w: DecodeWindow,
): [number, number] {
  const start = Math.min(totalFrames, Math.trunc(w.offsetS * sampleRateHz));
  const end = w.durationS === null
    ? totalFrames
    : Math.min(totalFrames, start + Math.trunc(w.durationS * sampleRateHz));
  return [start, end - start];
}

/** What a WAV file's header says, validated: enough to survey a corpus without decoding it. */
export interface WavInfo {
  sampleRateHz: number;
  channels: number;
  bitDepth: number;
  format: "pcm" | "float";
  totalFrames: number;
  durationS: number;
}

/**
 * Sample rates a real recording has (telephone 8 kHz is common; 768 kHz is the highest rate
 * audio interfaces offer): a header outside them is damaged, not audio to resample.
 */
export const MIN_RATE_HZ = 1000;
export const MAX_RATE_HZ = 768000;

/** Where a WAV file's samples are and how they are coded: enough to decode any part of it. */
export interface WavLayout extends WavInfo {
  formatTag: number;
  blockAlign: number;
  dataOffset: number;
}

export function wavLayout(input: Uint8Array | ByteSource, source: string): WavLayout {
  const chunks = riffChunks(input, source);
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const fmt = chunks.find((c) => c.id === "fmt ")!;
  const data = chunks.find((c) => c.id === "data")!;
  if (fmt.size < 16) throw new Error(`${source}: not a valid WAV file: "fmt " chunk too short`);
  const fmtBytes = src.read(fmt.offset, Math.min(fmt.size, 40));
  const view = new DataView(fmtBytes.buffer, fmtBytes.byteOffset, fmtBytes.byteLength);
  let formatTag = view.getUint16(0, true);
  const numChannels = view.getUint16(2, true);
  const sampleRateHz = view.getUint32(4, true);
  const blockAlign = view.getUint16(12, true);
  const bitDepth = view.getUint16(14, true);
  if (formatTag === WAVE_FORMAT_EXTENSIBLE && fmt.size >= 40) {
    formatTag = view.getUint16(24, true); // first two bytes of the SubFormat GUID
  }
  const unsupported = (why: string): never => {
    throw new Error(`${source}: unsupported WAV: ${why}`);
  };
  if (formatTag !== WAVE_FORMAT_PCM && formatTag !== WAVE_FORMAT_FLOAT) {
    unsupported(`format tag 0x${formatTag.toString(16)} (only PCM and IEEE float are supported)`);
  }
  const isFloat = formatTag === WAVE_FORMAT_FLOAT;
  const okDepths = isFloat ? [32, 64] : [8, 16, 24, 32];
  if (!okDepths.includes(bitDepth)) {
    unsupported(`${bitDepth}-bit ${isFloat ? "float" : "PCM"} samples`);
  }
  if (numChannels < 1) unsupported("zero channels");
  if (sampleRateHz < MIN_RATE_HZ || sampleRateHz > MAX_RATE_HZ) {
    unsupported(
      `sample rate ${sampleRateHz} Hz in the header (expected ${MIN_RATE_HZ} to ${MAX_RATE_HZ} Hz)`,
    );
  }
  if (blockAlign !== numChannels * (bitDepth / 8)) {
    unsupported(`block align ${blockAlign} does not match ${numChannels} x ${bitDepth}-bit`);
  }
  const totalFrames = Math.floor(data.size / blockAlign);
  return {
    sampleRateHz,
    channels: numChannels,
    bitDepth,
    format: isFloat ? "float" : "pcm",
    totalFrames,
    durationS: totalFrames / sampleRateHz,
    formatTag,
    blockAlign,
    dataOffset: data.offset,
  };
}

/** The header of a WAV file (validated as `decodeWav` validates it), without the samples. */
export function wavInfo(bytes: Uint8Array, source = "<wav bytes>"): WavInfo {
  const { formatTag: _t, blockAlign: _b, dataOffset: _d, ...info } = wavLayout(bytes, source);
  return info;
}

/**
 * Decodes a WAV file's bytes, all of it or only `window` (decoding just the frames we keep is
 * the cheaper way to crop). Handles PCM 8/16/24/32-bit, float 32/64-bit,
 * WAVE_FORMAT_EXTENSIBLE, any channel count and extra chunks (RAVDESS files carry `FLLR`).
 * Integer PCM is scaled by 2^(bits-1), as libsndfile (and so librosa) does.
 */
export function decodeWav(
  input: Uint8Array | ByteSource,
  source = "<wav bytes>",
  window?: DecodeWindow,
): DecodedAudio {
  const src = input instanceof Uint8Array ? bytesSource(input) : input;
  const layout = wavLayout(src, source);
  const [first, count] = window
    ? windowFrames(layout.totalFrames, layout.sampleRateHz, window)
    : [0, layout.totalFrames];
  const start = layout.dataOffset + first * layout.blockAlign;
  // Only the window's bytes are read: a long file on disk costs what is kept.
  return decodeFrames(layout, src.read(start, count * layout.blockAlign), first, source);
}

/**
 * Decodes `data`, whole frames of a file's samples starting at frame `firstFrame` (which only
 * dates errors), as `layout` codes them: how a long file is decoded block by block.
 */
export function decodeFrames(
  layout: WavLayout,
  data: Uint8Array,
  firstFrame: number,
  source: string,
): DecodedAudio {
  const { formatTag, sampleRateHz, blockAlign, bitDepth, totalFrames } = layout;
  const numChannels = layout.channels;
  const isFloat = layout.format === "float";
  // Hand wav-decoder a minimal canonical file: our validated fmt + data, nothing else. This
  // also normalises WAVE_FORMAT_EXTENSIBLE, which wav-decoder does not know.
  const dataBytes = Math.floor(data.length / blockAlign) * blockAlign;
  const canonical = new Uint8Array(44 + dataBytes);
  const cv = new DataView(canonical.buffer);
  canonical.set([0x52, 0x49, 0x46, 0x46], 0); // RIFF
  cv.setUint32(4, 36 + dataBytes, true);
  canonical.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8); // WAVEfmt
  cv.setUint32(16, 16, true);
  cv.setUint16(20, formatTag, true);
  cv.setUint16(22, numChannels, true);
  cv.setUint32(24, sampleRateHz, true);
  cv.setUint32(28, sampleRateHz * blockAlign, true);
  cv.setUint16(32, blockAlign, true);
  cv.setUint16(34, bitDepth, true);
  canonical.set([0x64, 0x61, 0x74, 0x61], 36); // data
  cv.setUint32(40, dataBytes, true);
  canonical.set(data.subarray(0, dataBytes), 44);

  // wav-decoder was written for Node and tests `global.Buffer`; browsers have no `global`.
  const g = globalThis as { global?: unknown };
  g.global ??= globalThis;
  const decoded = wavDecoder.decode.sync(canonical.buffer, { symmetric: true });
  const channels = decoded.channelData as Float32Array[];
  if (!isFloat && (bitDepth === 8 || bitDepth === 24)) fixScaling(channels, bitDepth);
  if (isFloat) rejectNonFinite(channels, source, sampleRateHz, firstFrame);
  return { sampleRateHz, totalFrames, channels, bitDepth, format: isFloat ? "float" : "pcm" };
}

/**
 * Float WAVs can hold NaN and infinities (a broken export, a failed effect); one such sample turns
 * every feature of its clip, and through a shared scaler a whole run, into NaN. Refuse the file.
 */
function rejectNonFinite(
  channels: Float32Array[],
  source: string,
  sampleRateHz: number,
  firstFrame: number,
): void {
  for (const [c, ch] of channels.entries()) {
    let bad = 0;
    let at = -1;
    for (let i = 0; i < ch.length; i++) {
      const v = ch[i];
      if (v - v !== 0) {
        if (at < 0) at = i;
        bad++;
      }
    }
    if (bad > 0) {
      const t = (firstFrame + at) / sampleRateHz;
      throw new Error(
        `${source}: ${bad} non-finite sample${bad === 1 ? "" : "s"} (NaN or infinity) in channel ${
          c + 1
        }, the first at ${t.toFixed(3)} s: the file is damaged`,
      );
    }
  }
}

/**
 * wav-decoder's symmetric mode maps unsigned 8-bit as (u - 127.5) / 127.5 and reads the 24-bit
 * minimum 0x800000 as +1; libsndfile gives (u - 128) / 128 and -1. Undo both.
 */
function fixScaling(channels: Float32Array[], bitDepth: number): void {
  for (const ch of channels) {
    for (let i = 0; i < ch.length; i++) {
      if (bitDepth === 8) ch[i] = (ch[i] * 127.5 - 0.5) / 128;
      else if (ch[i] === 1) ch[i] = -1;
    }
  }
}

/** Averages channels to mono, as `librosa.to_mono` does. */
export function toMono(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0];
  const n = channels[0].length;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (const ch of channels) s += ch[i];
    out[i] = s / channels.length;
  }
  return out;
}

/** Encodes mono float samples as a 16-bit (or 32-bit float) PCM WAV; used by tests and exports. */
export function encodeWav(
  samples: Float32Array | Float32Array[],
  sampleRateHz: number,
  opts: { bitDepth?: 8 | 16 | 24 | 32; float?: boolean } = {},
): Uint8Array {
  const channels = Array.isArray(samples) ? samples : [samples];
  const float = opts.float ?? false;
  const bitDepth = float ? 32 : (opts.bitDepth ?? 16);
  const bytesPer = bitDepth / 8;
  const n = channels[0].length;
  const block = bytesPer * channels.length;
  const out = new Uint8Array(44 + n * block);
  const v = new DataView(out.buffer);
  out.set([0x52, 0x49, 0x46, 0x46], 0);
  v.setUint32(4, 36 + n * block, true);
  out.set([0x57, 0x41, 0x56, 0x45, 0x66, 0x6d, 0x74, 0x20], 8);
  v.setUint32(16, 16, true);
  v.setUint16(20, float ? WAVE_FORMAT_FLOAT : WAVE_FORMAT_PCM, true);
  v.setUint16(22, channels.length, true);
  v.setUint32(24, sampleRateHz, true);
  v.setUint32(28, sampleRateHz * block, true);
  v.setUint16(32, block, true);
  v.setUint16(34, bitDepth, true);
  out.set([0x64, 0x61, 0x74, 0x61], 36);
  v.setUint32(40, n * block, true);
  let at = 44;
  const full = 2 ** (bitDepth - 1);
  for (let i = 0; i < n; i++) {
    for (const ch of channels) {
      const s = Math.max(-1, Math.min(1, ch[i]));
      if (float) v.setFloat32(at, s, true);
      else {
        const q = Math.max(-full, Math.min(full - 1, Math.round(s * full)));
        if (bitDepth === 8) v.setUint8(at, q + 128);
        else if (bitDepth === 16) v.setInt16(at, q, true);
        else if (bitDepth === 24) {
          v.setUint8(at, q & 0xff);
          v.setUint8(at + 1, (q >> 8) & 0xff);
          v.setUint8(at + 2, (q >> 16) & 0xff);
        } else v.setInt32(at, q, true);
      }
      at += bytesPer;
    }
  }
  return out;
}
