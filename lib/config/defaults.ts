/**
 * Every default of the project, in one block (`DEFAULT_CONFIG`, first below), and the schema it
 * follows (the typed sections after it). Every stage reads its section of one `RunConfig`; every
 * result records the whole of it; `--key=value` overrides any leaf (see `config.ts`, which parses,
 * validates and hashes). Pure: no Deno APIs.
 *
 * Over 400 lines on purpose: every default in one visible block, then every section's type with
 * what each setting means, in one file a reader scrolls through once.
 */
import { CORPUS_ARCHIVES, type CorpusName } from "../schema/corpus.ts";
import type { TemporalInput } from "../schema/inputs.ts";
import {
  FUNCTIONAL_STATISTICS,
  type FunctionalStatistic,
  LEGACY_FUNCTIONALS,
} from "../schema/functionals.ts";

/** The corpus a new user gets: RAVDESS, from Zenodo. */
export const ZENODO_RAVDESS_URL = CORPUS_ARCHIVES.ravdess!.url;
export const ZENODO_RAVDESS_MD5 = CORPUS_ARCHIVES.ravdess!.md5;

/** Where training's matrix products run: `auto` picks OpenBLAS where it loads, else WebAssembly. */
export const GEMM_MODES = ["auto", "blas", "wasm", "js"] as const;
export type GemmMode = (typeof GEMM_MODES)[number];

/**
 * Allowed values of every setting that takes a name: the types below come from these arrays,
 * and `validate.ts` checks against the same arrays, so the two cannot drift apart.
 */
export const RESAMPLERS = ["kaiser_best"] as const;
/** How frames at a clip's edges may be padded (librosa's `pad_mode`). */
export const PAD_MODES = ["constant", "reflect"] as const;
export const NOISE_KINDS = ["classic", "snr"] as const;
export const SHIFT_MODES = ["roll", "silence"] as const;
export const VOCODERS = ["fast", "librosa"] as const;
export const MODEL_NAMES = ["seed", "temporal"] as const;
export const LR_SCHEDULES = ["plateau", "cosine"] as const;
export const TRAIN_KERNELS = ["fused", "stock"] as const;
export const PROTOCOLS = ["speaker", "random", "seed-leaky", "cross-corpus"] as const;

/** How a temporal network pools its frames into one vector. */
export const TEMPORAL_POOLINGS = ["meanMax", "meanMaxAttention", "meanMaxStd"] as const;
export type TemporalPooling = (typeof TEMPORAL_POOLINGS)[number];

export const DEFAULT_CONFIG: RunConfig = {
  seed: 42,
  workers: 0,
  cacheDir: "data/cache",
  data: {
    corpus: "ravdess",
    dir: "",
    url: ZENODO_RAVDESS_URL,
    md5: ZENODO_RAVDESS_MD5,
    download: true,
    trainAlso: [],
    testCorpus: "",
    ownLabels: [],
    speakerPattern: "",
  },
  audio: {
    sampleRateHz: 22050,
    offsetS: 0.6,
    durationS: 2.5,
    resampler: "kaiser_best",
    trimDb: 0,
    windowHopS: 0,
  },
  features: {
    nFft: 2048,
    hopLength: 512,
    padMode: "constant",
    nMels: 128,
    nMfcc: 20,
    nChroma: 12,
    topDb: 80,
    sequenceMels: 40,
  },
  split: { testActors: [], valActors: [], folds: 4 },
  augment: {
    recipe: ["original", "noise", "stretch+pitch", "pitch@-3", "pitch@3"],
    noise: "classic",
    noiseFactor: 0.035,
    noiseSnrDb: 10,
    stretchRate: 0.8,
    pitchSemitones: 0.7,
    shiftMaxSamples: 5000,
    shiftMode: "roll",
    vocoder: "fast",
  },
  model: "temporal",
  temporal: {
    input: "logmelMfccDeltaProsody",
    memberInputs: ["mfccDeltaProsody", "logmel"],
    filters: [64, 128, 128],
    kernelSize: 5,
    dilations: [],
    squeezeExcite: 0,
    dropout: 0.3,
    denseUnits: 64,
    pooling: "meanMax",
  },
  train: {
    epochs: 50,
    batchSize: 64,
    learningRate: 1e-3,
    lrFactor: 0.4,
    lrPatience: 2,
    minLr: 1e-7,
    lrSchedule: "plateau",
    averageLast: 5,
    voiceBatches: false,
    voiceSwap: 0,
    speakerAdversary: 0,
    threads: 1,
    parallel: 0,
    gemm: "auto",
    engine: "static",
    kernels: "fused",
    classBalance: false,
    specTimeMasks: 0,
    specTimeWidth: 10,
    specFreqMasks: 0,
    specFreqWidth: 6,
    mixupAlpha: 0,
    labelSmoothing: 0,
    weightDecay: 0,
    ensemble: 3,
    linearWeight: 0.5,
    linearLambda: 0.1,
    linearStatistics: [...FUNCTIONAL_STATISTICS],
  },
  eval: {
    protocol: "speaker",
    labels: "8class",
    testFraction: 0.25,
    speakerNorm: "per-speaker",
    strictToo: true,
    strictNorm: "per-clip-prosody-level",
    tta: [],
    augmentedAsVoices: false,
    voiceBatchNorm: true,
    voiceEmbeddingNorm: true,
    clipBatchNorm: 0,
  },
  live: {
    windowS: 2.5,
    hopS: 0.5,
    gateDbfs: -70,
    minVoicedS: 0.2,
    timelineS: 60,
    fileHopS: 1.25,
    ownVoiceMinS: 20,
  },
  resultsDir: "results",
};

export const AUGMENT_STEPS: readonly AugmentStep[] = [
  "original",
  "noise",
  "stretch",
  "pitch",
  "shift",
];

/**
 * Each lever's "off" value, stated once: what a stored run written before the lever existed
 * computed (`completeStoredConfig`), and what every ablation row starts from before it turns
 * its own levers on.
 */
export const LEVERS_OFF = {
  "eval.speakerNorm": "none",
  "train.classBalance": false,
  "train.specTimeMasks": 0,
  "train.specTimeWidth": 10,
  "train.specFreqMasks": 0,
  "train.specFreqWidth": 6,
  "train.mixupAlpha": 0,
  "temporal.memberInputs": [],
  "train.labelSmoothing": 0,
  "train.weightDecay": 0,
  "train.ensemble": 1,
  "train.linearWeight": 0,
  "train.linearLambda": 0.1,
  "train.linearStatistics": [...LEGACY_FUNCTIONALS],
  "train.lrSchedule": "plateau",
  "train.averageLast": 0,
  "train.voiceBatches": false,
  "train.voiceSwap": 0,
  "train.speakerAdversary": 0,
  "temporal.pooling": "meanMax",
  "temporal.dilations": [],
  "temporal.squeezeExcite": 0,
  "eval.tta": [],
  "eval.augmentedAsVoices": false,
  "eval.voiceBatchNorm": false,
  "eval.voiceEmbeddingNorm": false,
  "eval.clipBatchNorm": 0,
} as const;

export interface DataConfig {
  /**
   * Which corpus `dir` holds: ravdess, emodb, cremad, tess, savee or emovo (`lib/corpus/
   * corpora.ts` says how each names its files), or a corpus of your own: `manifest` (`--data`
   * is a CSV with `file,speaker,emotion[,split]` columns, paths relative to it) or
   * `audiofolder` (Hugging Face's layout: `metadata.csv` with `file_name` and a label column,
   * or `<label>/<clip>.wav` folders). Labels are the corpus's own emotions.
   */
  corpus: CorpusName;
  /** Corpus folder; empty means: `RAVDESS_DIR`, then `data/ravdess`, then `../shared/ravdess`. */
  dir: string;
  /**
   * Where the corpus archive is fetched from when no folder is found: the corpus's own public
   * archive unless given (`CorpusSpec.archive`); empty where it has none.
   */
  url: string;
  /** Expected MD5 of the archive; empty skips the check (for archives that publish none). */
  md5: string;
  /** Download the corpus when it is not found (otherwise fail with a message). */
  download: boolean;
  /**
   * More corpora whose clips join every fold's training side (all their speakers, the emotions
   * the run's label set has), e.g. `[emodb]`; each is found like `corpus` (`<NAME>_DIR`,
   * `data/<name>`, `../shared/<name>`). Test speakers still come from `corpus` alone.
   */
  trainAlso: CorpusName[];
  /**
   * The corpus the `cross-corpus` protocol tests on: trained on all of `corpus` (and
   * `trainAlso`), scored on every clip of this one, on the emotions they share.
   */
  testCorpus: CorpusName | "";
  /**
   * The emotions of a corpus of your own, in the order models use: filled in from the corpus
   * when it is indexed (names of the common vocabulary first, in its order, then the others).
   */
  ownLabels: string[];
  /**
   * `audiofolder` without a speaker column: a regular expression whose first group, matched on
   * each file name, is the speaker (e.g. `^(\w+?)_` for `spk3_clip.wav`).
   */
  speakerPattern: string;
}

export interface AudioConfig {
  sampleRateHz: number;
  /** librosa.load offset: the classic recipe skips the silent lead-in. */
  offsetS: number;
  durationS: number;
  resampler: (typeof RESAMPLERS)[number];
  /**
   * Trim leading and trailing audio more than this many dB below the loudest frame before
   * `offsetS` applies (0: off, RAVDESS's classic window). Corpora whose clips start with speech
   * read better with `--audio.offsetS=0 --audio.trimDb=40`.
   */
  trimDb: number;
  /**
   * 0: one window per clip (`durationS` from `offsetS`). Otherwise a clip longer than the window
   * is also scored over windows every this many seconds (the last one ending at the clip's end),
   * and their probabilities averaged: in evaluation, `predict` and the live page's files alike.
   * Training reads the first window. The corpus chooses `offsetS`, `trimDb` and this unless the
   * command line sets them (`CorpusSpec.audio`).
   */
  windowHopS: number;
}

/** How features are computed (librosa's parameters). */
export interface FeatureConfig {
  /** FFT size in samples. */
  nFft: number;
  /** Samples between frames. */
  hopLength: number;
  /** How frames at the edges are padded. */
  padMode: (typeof PAD_MODES)[number];
  /** Mel bands of the 162-value vector. */
  nMels: number;
  /** MFCCs. */
  nMfcc: number;
  /** Chroma bins. */
  nChroma: number;
  /** Log-mel floor below each clip's peak, dB (librosa's `top_db`). */
  topDb: number;
  /** Mel bands of the log-mel frame sequences fed to temporal models. */
  sequenceMels: number;
}

export interface SplitConfig {
  /** Held-out test actors; empty means k-fold cross-validation by actor (`folds` groups). */
  testActors: number[];
  /** Validation actors (for LR schedule / early stopping), taken from the training side. */
  valActors: number[];
  folds: number;
}

/** A recipe step; `a+b` applies a then b to the same clip. */
export type AugmentStep = "original" | "noise" | "stretch" | "pitch" | "shift";

export interface AugmentConfig {
  /**
   * Rows each training clip yields: the classic `["original", "noise", "stretch+pitch"]`, and
   * by default the voice 3 semitones lower and higher besides (`pitch@-3`, `pitch@3`): more
   * voices than the corpus has (what it measured: docs/results.md).
   */
  recipe: string[];
  /** `classic`: y + f * U(0,1) * max(y) * N(0,1); `snr`: Gaussian noise at `noiseSnrDb`. */
  noise: (typeof NOISE_KINDS)[number];
  noiseFactor: number;
  noiseSnrDb: number;
  /** < 1 slows down: 0.8 makes a clip 25 % longer at the same pitch. */
  stretchRate: number;
  pitchSemitones: number;
  shiftMaxSamples: number;
  /** `roll` wraps around like np.roll (speech onto silence); `silence` pads without wrapping. */
  shiftMode: (typeof SHIFT_MODES)[number];
  /** `fast`: phasor phase vocoder; `librosa`: librosa's float32 arithmetic (slower, closer). */
  vocoder: (typeof VOCODERS)[number];
}

/** Which network trains: the classic recipe's Conv1D on the 162-vector, or the frame model. */
export type ModelName = (typeof MODEL_NAMES)[number];

export {
  inputContains,
  inputParts,
  TEMPORAL_INPUTS,
  type TemporalInput,
} from "../schema/inputs.ts";

export interface TemporalConfig {
  /**
   * Frame features fed to the temporal model: log-mel bands, MFCC + deltas, prosody (pitch,
   * voicing, loudness, tilt), or several side by side in each frame (`TEMPORAL_INPUTS`).
   */
  input: TemporalInput;
  /**
   * What each ensemble member sees of `input`, in turn (member m takes entry m mod length):
   * e.g. `["logmel", "mfccDelta"]` of `logmelMfccDelta`. Networks that look at different
   * features make different mistakes, so their average gains more than another seed's does.
   * Empty: every member sees all of `input`.
   */
  memberInputs: TemporalInput[];
  /** Filters per Conv1D block (conv -> batch norm -> relu -> max-pool 2). */
  filters: number[];
  kernelSize: number;
  /**
   * Each block's dilation (its kernel's taps `d` frames apart: a kernel of 5 then spans 4d + 1
   * frames for the same arithmetic); empty: 1 for every block. Static engine only (tfjs has no
   * gradient for a dilated convolution).
   */
  dilations: number[];
  /**
   * Squeeze-excitation after each block (`SqueezeExcite1D`): each channel's mean over the clip
   * through a bottleneck of channels / r units gives a gate per channel that scales every frame;
   * the setting is r (8 in SENet); 0: none.
   */
  squeezeExcite: number;
  dropout: number;
  denseUnits: number;
  /**
   * How frames become one vector: `meanMax` (mean and max over time, side by side),
   * `meanMaxAttention` (and an attention-weighted mean: a learned score per frame, softmaxed) or
   * `meanMaxStd` (and each channel's standard deviation over the frames: statistics pooling).
   */
  pooling: TemporalPooling;
}

export const TRAIN_ENGINES = ["static", "tfjs"] as const;
export type TrainEngine = (typeof TRAIN_ENGINES)[number];

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** ReduceLROnPlateau on the training loss, as in the seed recipe. */
  lrFactor: number;
  lrPatience: number;
  minLr: number;
  /**
   * `plateau`: ReduceLROnPlateau on the training loss (`lrFactor`, `lrPatience`), as the seed
   * recipe; `cosine`: from `learningRate` down to `minLr` along half a cosine over the epochs.
   */
  lrSchedule: (typeof LR_SCHEDULES)[number];
  /**
   * Keep the mean of the weights after each of the last this many epochs (batch-norm statistics
   * included) instead of the last epoch's: a flatter point than any one epoch, chosen without
   * looking at any held-out speaker (all of them when there are fewer epochs). 0 keeps the last
   * epoch. 5 since session 14: +0.9 and +0.6
   * points on twenty voices (seeds 43, 44), for no training time.
   */
  averageLast: number;
  /**
   * Batches of one training speaker each (a speaker's rows, its derived rows included, cut
   * into batches; the batches shuffled), so every batch-norm layer trains on one voice's
   * statistics at a time, as `eval.voiceBatchNorm` scores each test voice. False: rows of all
   * speakers shuffled together.
   */
  voiceBatches: boolean;
  /**
   * The share of training rows given another training speaker's voice in each batch (0: none):
   * the row's frame columns are standardised with its own speaker's mean and spread (over all
   * of that speaker's training rows) and put back with those of another speaker drawn at
   * random, so the same emotion is heard at many voices' offsets and an offset cannot tell the
   * emotion. Meant for strict settings, which cannot remove a test voice's offset; under
   * per-speaker normalisation every voice's rows already share one scale and it does nothing.
   */
  voiceSwap: number;
  /**
   * A speaker adversary's reversal weight (0: none). A linear head on each network's pooled
   * embedding learns to name the training speaker of every row while the gradient it sends into
   * the network is reversed and scaled by this weight (ramped up from 0 over training, as DANN
   * does), pushing the network towards features that do not say who speaks. Training only: the
   * saved network has no such head. Needs `engine=static`.
   */
  speakerAdversary: number;
  /**
   * BLAS threads per network; 0 means one per core. Native BLAS splits its sums differently
   * for different thread counts, so the last digits of a run depend on this setting: keep it 1
   * (the default) and results do not depend on the machine's core count.
   */
  threads: number;
  /**
   * Networks trained at once (fold x ensemble member jobs), each in its own worker; 0 means one
   * per core. Changes wall time only: a network's numbers do not depend on where it trains.
   */
  parallel: number;
  /**
   * The matrix multiply: `auto` is native BLAS through FFI when it loads, else the portable
   * WebAssembly SIMD kernel; `blas`, `wasm` and `js` (the slow reference) insist on one.
   */
  gemm: GemmMode;
  /**
   * What runs a training step: `static`, the project's own trainer for its network family (fixed
   * kernels over buffers allocated once, `model/static/`); `tfjs`, tfjs's per-op machinery with
   * the replacement kernels of `kernels` (the reference, and the path older runs trained on).
   */
  engine: TrainEngine;
  /**
   * `fused`: batch norm, ReLU and Adam as one pass each with hand-written gradients
   * (`model/fused.ts`); `stock`: tfjs's own kernel chains. Equal up to float rounding.
   */
  kernels: (typeof TRAIN_KERNELS)[number];
  /**
   * Weight each class's loss by n / (classes * count), Keras `class_weight` style: RAVDESS has
   * half as many neutral clips as any other emotion.
   */
  classBalance: boolean;
  /** SpecAugment on frame inputs: this many time masks per row, each up to `specTimeWidth` frames. */
  specTimeMasks: number;
  specTimeWidth: number;
  /** Frequency masks per row, each up to `specFreqWidth` feature bands. */
  specFreqMasks: number;
  specFreqWidth: number;
  /** mixup: pairs of rows blended with a Beta(alpha, alpha) weight; 0 turns it off. */
  mixupAlpha: number;
  /** Label smoothing: targets become (1 - e) one-hot + e / classes; 0 turns it off. */
  labelSmoothing: number;
  /**
   * Decoupled weight decay (AdamW style) on conv and dense kernels: after each step every
   * kernel shrinks by learning rate x this; 0 turns it off.
   */
  weightDecay: number;
  /**
   * Networks trained per fold, member m with seed (fold seed + 100 m) on the same rows; their
   * probabilities are averaged. 1 trains a single network; k multiplies training time by k.
   */
  ensemble: number;
  /**
   * Weight of the linear member in each fold's average (0: none): softmax regression on each
   * clip's functionals (`linearStatistics` of every input column over its frames;
   * standardised per voice under per-speaker normalisation), fitted in seconds on the
   * fold's training clips, scored as (1 - w) networks + w linear. It sees a clip whole where
   * the networks see frames. `predict`, the live page, the HTTP API and the ONNX export blend
   * it in as evaluation does (a voice's functional statistics from its windows).
   */
  linearWeight: number;
  /** The linear member's L2 penalty (per training row). */
  linearLambda: number;
  /**
   * The statistics the linear member takes of every input column over a clip's frames
   * (`FUNCTIONAL_STATISTICS`: level, spread, percentiles, extremes, shape, contour, and how fast
   * the column moves from frame to frame).
   */
  linearStatistics: FunctionalStatistic[];
}

/**
 * `speaker`: held-out actors (explicit lists or k folds); `random`: stratified file split,
 * augmenting training files only; `seed-leaky`: the classic recipe (augment every file, then
 * split rows at random), kept to show how much leakage inflates accuracy; `cross-corpus`: train on
 * every speaker of `data.corpus` (and `data.trainAlso`), test on `data.testCorpus`.
 */
export type Protocol = (typeof PROTOCOLS)[number];

export type SpeakerNorm =
  | "none"
  | "per-speaker"
  | "online"
  | "per-clip"
  | "per-clip-prosody"
  | "per-clip-prosody-level";
/** The settings that know nothing of a voice beyond the clip: what a strict twin may use. */
export const STRICT_NORMS = [
  "none",
  "per-clip",
  "per-clip-prosody",
  "per-clip-prosody-level",
] as const;
export type StrictNorm = (typeof STRICT_NORMS)[number];
export const SPEAKER_NORMS: readonly SpeakerNorm[] = [
  "none",
  "per-speaker",
  "online",
  "per-clip",
  "per-clip-prosody",
  "per-clip-prosody-level",
];

export interface EvalConfig {
  protocol: Protocol;
  /** Label set the model trains on; 8-class runs also report 7 classes (calm merged). */
  labels: "8class" | "7class";
  /** Test share for the `random` and `seed-leaky` protocols. */
  testFraction: number;
  /**
   * `per-speaker`: before the global scaler, each actor's features are z-scored with that
   * actor's own mean and spread over their original clips, test actors included (their audio,
   * never their labels: a declared, transductive use of the test speakers' recordings).
   * `online`: as per-speaker for training actors; each test actor's clips are met one by one in
   * a seeded random order and each is z-scored with running statistics of that actor's clips so
   * far, itself included: what a live page can do with a voice it has only just started hearing.
   * `per-clip`: each clip's frame features z-scored over its own frames, in training and at
   * test alike: strict (nothing of a voice beyond the clip itself), like `none`.
   * `per-clip-prosody`: only the prosody columns z-scored per clip (pitch and loudness relative to
   * the clip's own, which says less about who speaks), the spectral ones as `none`: strict.
   * `per-clip-prosody-level`: as `per-clip-prosody`, and the log-mel and MFCC-0 columns taken
   * relative to the clip's own mean level (recording gain and a voice's loudness out, the
   * spectral shape kept; `normalise/level.ts`): strict.
   * `none`: only the global scaler fitted on training rows.
   */
  speakerNorm: SpeakerNorm;
  /**
   * When `speakerNorm` uses statistics of a test voice, `reproduce` also trains the strict twin
   * (the same config with the strict `strictNorm`: a voice heard for the first time) and prints
   * both numbers. Changes what is run, not what either run computes.
   */
  strictToo: boolean;
  /**
   * The strict setting that twin uses: `per-clip-prosody-level` (the run's inputs, each clip's
   * prosody columns z-scored over its own frames and its log-mel and MFCC 0 relative to its own
   * mean level; since session 20), `per-clip-prosody` (the prosody alone so), `per-clip` (every
   * column so), or `none` (and then the spectral inputs only: absolute pitch and loudness say who
   * speaks). Changes which twin is trained, not this run.
   */
  strictNorm: StrictNorm;
  /**
   * Test-time augmentation: recipe rows (as `augment.recipe` writes them, e.g. `pitch@-1`) whose
   * variants of every test clip are scored too; a clip's probabilities are the mean over the clip
   * itself and its variants. Costs nothing at training time (`deno task rescore` applies it to a
   * stored run). Empty: the clip alone.
   */
  tta: string[];
  /**
   * How a training voice's derived rows are z-scored where `speakerNorm` fits a voice's
   * statistics (per-speaker, online): false, with the actor's own (from its original clips), so
   * a row 3 semitones up stays 3 semitones above its voice; true, each recipe row of an actor
   * (its noise rows, its voice 3 semitones up, ...) as a voice of its own, with its own
   * statistics, as every test voice is. Ignored by the strict settings.
   */
  augmentedAsVoices: boolean;
  /**
   * Where `speakerNorm` z-scores each voice with statistics of all its recordings
   * (per-speaker): every batch-norm layer of every network takes its mean and variance from
   * the test voice's recordings too, layer by layer, instead of the training set's
   * (`model/voice_batch_norm.ts`). Scoring only: `deno task rescore` applies it to a stored
   * run. Ignored by every other normalisation.
   */
  voiceBatchNorm: boolean;
  /**
   * With `voiceBatchNorm`: each network's pooled embedding of a test voice's clips (what its
   * first dense layer reads) is standardised with that voice's statistics and put on the scale
   * of the training voices' (each through the network with its own batch-norm statistics),
   * the voice normalised once more where the network summarises a clip. Scoring only.
   */
  voiceEmbeddingNorm: boolean;
  /**
   * Where the normalisation is strict (nothing of a voice beyond the clip): each batch-norm
   * layer of every network takes its mean and variance partly from the test clip itself, the
   * training set's statistics counting as this many clips beside it (prior-weighted test-time
   * batch norm). 0: the training set's alone. Scoring only; ignored by per-speaker settings,
   * which take a whole voice's statistics (`voiceBatchNorm`).
   */
  clipBatchNorm: number;
}

/** The live page (`deno task serve`): how often it listens, and when it hears speech. */
export interface LiveConfig {
  /** Seconds of audio classified each time (the model's clip length). */
  windowS: number;
  /** Seconds between classifications. */
  hopS: number;
  /**
   * A voiced frame (periodic, in a moving pitch track: `features/speech.ts`) counts only when louder
   * than this (dB re full scale, DC removed). Low, because RAVDESS's quietest actors speak at
   * -60 dBFS; the detector, not the level, tells speech from hum and noise.
   */
  gateDbfs: number;
  /** Voiced seconds a window needs before it is classified; less is shown as "no speech". */
  minVoicedS: number;
  /** Seconds of history the timeline keeps. */
  timelineS: number;
  /** Seconds between the windows scored in a file (`predict`, the page's files). */
  fileHopS: number;
  /**
   * Seconds of speech a file needs to give its own voice statistics to a run that normalises
   * per speaker (training had about 150 s per actor); a shorter file is judged by the run's
   * strict twin where one exists. `predict --sameSpeaker` pools the files instead.
   */
  ownVoiceMinS: number;
}

export interface RunConfig {
  seed: number;
  /** Parallel feature workers; 0 means one per core. */
  workers: number;
  cacheDir: string;
  data: DataConfig;
  audio: AudioConfig;
  features: FeatureConfig;
  split: SplitConfig;
  augment: AugmentConfig;
  model: ModelName;
  temporal: TemporalConfig;
  train: TrainConfig;
  eval: EvalConfig;
  live: LiveConfig;
  /** Where run folders go (`<resultsDir>/<run-id>/`). */
  resultsDir: string;
}
