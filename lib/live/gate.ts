/**
 * The "is anyone speaking?" gate of the live page: 20 ms frames whose RMS level clears a
 * threshold count as voiced, and a window needs enough voiced time to be classified. Silence and
 * room hum are then shown as "no speech" instead of being called calm. Pure.
 */

export interface GateOptions {
  /** dB re full scale a frame's RMS must exceed to count as voiced. */
  gateDbfs: number;
  /** Voiced seconds needed to call the window speech. */
  minVoicedS: number;
  frameS?: number;
}

export interface Activity {
  /** RMS level of the whole window, dB re full scale (-Infinity for digital silence). */
  levelDbfs: number;
  /** RMS level of the newest 100 ms, for a level meter. */
  recentDbfs: number;
  voicedS: number;
  speech: boolean;
}

export function rmsDbfs(x: ArrayLike<number>, from = 0, to = x.length): number {
  if (to <= from) return -Infinity;
  let sum = 0;
  for (let i = from; i < to; i++) sum += x[i] * x[i];
  return 10 * Math.log10(sum / (to - from));
}

export function speechActivity(
  samples: Float32Array,
  sampleRateHz: number,
  opts: GateOptions,
): Activity {
  const frame = Math.max(1, Math.round((opts.frameS ?? 0.02) * sampleRateHz));
  let voicedFrames = 0;
  for (let at = 0; at + frame <= samples.length; at += frame) {
    if (rmsDbfs(samples, at, at + frame) > opts.gateDbfs) voicedFrames++;
  }
  const voicedS = (voicedFrames * frame) / sampleRateHz;
  const recent = Math.min(samples.length, Math.round(0.1 * sampleRateHz));
  return {
    levelDbfs: rmsDbfs(samples),
    recentDbfs: rmsDbfs(samples, samples.length - recent),
    voicedS,
    speech: voicedS >= opts.minVoicedS && voicedFrames > 0,
  };
}
