/**
 * The corpora the project reads, each as its file names say who speaks and which emotion: RAVDESS,
 * EmoDB, CREMA-D, TESS, SAVEE and EMOVO. A corpus is found from its folder layout alone (any
 * depth, any sample rate, channel count or length); a name that fits none of its rules is an error
 * that says what was expected, never a silent skip. Emotions map onto one common vocabulary (the
 * RAVDESS eight, in RAVDESS order, plus EmoDB's boredom), so corpora can be compared and mixed on
 * the emotions they share. Pure: no Deno APIs.
 *
 * Over 400 lines on purpose: one short section per corpus (its name rules, emotions, speakers),
 * the six side by side so a seventh is added by reading one.
 */
import { parseRavdessName } from "./ravdess.ts";
import {
  type CommonEmotion,
  CORPUS_ARCHIVES,
  CORPUS_AUDIO,
  CORPUS_NAMES,
  type CorpusArchive,
  type CorpusAudio,
  type CorpusName,
  EMOTIONS_8,
  type LabelSet,
  labelSet,
} from "../schema/corpus.ts";

/** What a clip's path says about it. */
export interface ParsedClip {
  /** A number per speaker, unique within the corpus (the corpus's own where it numbers them). */
  speaker: number;
  /** The emotion, on the common vocabulary. */
  emotion: CommonEmotion;
  /** The speaker's sex, where the corpus says. */
  sex?: "male" | "female";
  /** Corpus-specific fields (sentence, intensity, ...), kept in the clip record. */
  extra?: Record<string, string | number>;
  /** Set when the file belongs to the corpus but is not used (e.g. RAVDESS song): why. */
  ignored?: string;
}

/** A corpus: how its file names say who speaks and which emotion, and where it comes from. */
export interface CorpusSpec {
  /** Its short name (`--data.corpus`). */
  name: CorpusName;
  /** Its full name. */
  title: string;
  /** The corpus's label set, in the order models and tables use. */
  emotions: readonly CommonEmotion[];
  /** Speaker numbers and the names the corpus gives them. */
  speakerNames: Record<number, string>;
  /** `relPath` is relative to the corpus folder with `/` separators; throws naming the problem. */
  parse(relPath: string): ParsedClip;
  /**
   * How its clips are windowed unless `--audio.*` says otherwise (`corpusAudio`): RAVDESS keeps
   * the classic recipe's 0.6 s lead-in skip and one 2.5 s window; corpora whose clips start with
   * speech and run from under 1 s to over 10 s are trimmed of leading and trailing silence and
   * scored over overlapping windows.
   */
  audio: CorpusAudio;
  /**
   * A stable public archive `deno task data --data.corpus=NAME` fetches (absent: the corpus needs
   * registration or has none, and the message says where to get it).
   */
  archive?: CorpusArchive;
  /** Where the corpus comes from and the layout this project expects. */
  source: string;
  /** The paper to cite. */
  citation: string;
}

const base = (relPath: string) => relPath.slice(relPath.lastIndexOf("/") + 1);
const folders = (relPath: string) => relPath.split("/").slice(0, -1);
const fail = (relPath: string, want: string): never => {
  throw new Error(`${relPath}: not ${want}`);
};

const RAVDESS: CorpusSpec = {
  name: "ravdess",
  title: "RAVDESS (Ryerson Audio-Visual Database of Emotional Speech and Song)",
  emotions: EMOTIONS_8,
  speakerNames: Object.fromEntries(
    Array.from({ length: 24 }, (_, i) => [i + 1, `Actor_${String(i + 1).padStart(2, "0")}`]),
  ),
  parse(relPath) {
    const r = parseRavdessName(base(relPath));
    const folder = folders(relPath).pop() ?? "";
    const m = /^Actor_(\d+)$/.exec(folder);
    if (m && Number(m[1]) !== r.actor) {
      throw new Error(`${relPath}: clip of actor ${r.actor} is in folder ${folder}`);
    }
    const ignored = r.modality !== "audio-only"
      ? `${r.modality} recording (only the audio-only speech set is used)`
      : r.vocalChannel !== "speech"
      ? "song (only the audio-only speech set is used)"
      : undefined;
    return {
      speaker: r.actor,
      emotion: r.emotion,
      sex: r.sex,
      extra: {
        intensity: r.intensity,
        statement: r.statement,
        repetition: r.repetition,
        modality: r.modality,
        vocalChannel: r.vocalChannel,
      },
      ignored,
    };
  },
  audio: CORPUS_AUDIO.ravdess,
  archive: CORPUS_ARCHIVES.ravdess,
  source: "Zenodo record 1188976, Audio_Speech_Actors_01-24.zip (downloaded by deno task data); " +
    "folders Actor_01 ... Actor_24 of 03-01-EE-II-SS-RR-AA.wav files",
  citation: "Livingstone SR, Russo FA (2018) PLoS ONE 13(5): e0196391",
};

const EMODB_EMOTIONS: Record<string, CommonEmotion> = {
  W: "angry",
  L: "boredom",
  E: "disgust",
  A: "fearful",
  F: "happy",
  T: "sad",
  N: "neutral",
};
const EMODB_SEX: Record<number, "male" | "female"> = {
  3: "male",
  8: "female",
  9: "female",
  10: "male",
  11: "male",
  12: "male",
  13: "female",
  14: "female",
  15: "male",
  16: "female",
};

const EMODB: CorpusSpec = {
  name: "emodb",
  title: "EmoDB (Berlin Database of Emotional Speech)",
  emotions: ["neutral", "happy", "sad", "angry", "fearful", "disgust", "boredom"],
  speakerNames: Object.fromEntries(
    Object.keys(EMODB_SEX).map((s) => [Number(s), String(s).padStart(2, "0")]),
  ),
  parse(relPath) {
    const m = /^(\d{2})([ab]\d{2})([WLEAFTN])([a-z])\.wav$/i.exec(base(relPath));
    if (!m) {
      return fail(relPath, "an EmoDB file name (speaker, text, emotion, version: 03a01Fa.wav)");
    }
    const speaker = Number(m[1]);
    if (!(speaker in EMODB_SEX)) {
      throw new Error(`${relPath}: EmoDB has no speaker ${m[1]} (03, 08-16)`);
    }
    return {
      speaker,
      emotion: EMODB_EMOTIONS[m[3].toUpperCase()],
      sex: EMODB_SEX[speaker],
      extra: { text: m[2], version: m[4] },
    };
  },
  audio: CORPUS_AUDIO.emodb,
  archive: CORPUS_ARCHIVES.emodb,
  source: "emodb.bilderbar.info (download.zip, free for research); the wav/ folder of " +
    "SSTTTEV.wav files (e.g. 03a01Fa.wav)",
  citation: "Burkhardt F et al. (2005) A Database of German Emotional Speech. Interspeech 2005",
};

const CREMA_EMOTIONS: Record<string, CommonEmotion> = {
  ANG: "angry",
  DIS: "disgust",
  FEA: "fearful",
  HAP: "happy",
  NEU: "neutral",
  SAD: "sad",
};
const CREMA_SENTENCES = [
  "IEO",
  "TIE",
  "IOM",
  "IWW",
  "TAI",
  "MTI",
  "IWL",
  "ITH",
  "DFA",
  "ITS",
  "TSI",
  "WSI",
];

const CREMAD: CorpusSpec = {
  name: "cremad",
  title: "CREMA-D (Crowd-sourced Emotional Multimodal Actors Dataset)",
  emotions: ["neutral", "happy", "sad", "angry", "fearful", "disgust"],
  speakerNames: Object.fromEntries(
    Array.from({ length: 91 }, (_, i) => [1001 + i, String(1001 + i)]),
  ),
  parse(relPath) {
    const m = /^(\d{4})_([A-Z]{3})_([A-Z]{3})_([A-Z]{2})\.wav$/.exec(base(relPath));
    if (!m) {
      return fail(
        relPath,
        "a CREMA-D file name (actor_sentence_emotion_level: 1001_DFA_ANG_XX.wav)",
      );
    }
    const speaker = Number(m[1]);
    if (speaker < 1001 || speaker > 1091) {
      throw new Error(`${relPath}: CREMA-D actors are 1001-1091, not ${m[1]}`);
    }
    if (!CREMA_SENTENCES.includes(m[2])) {
      throw new Error(
        `${relPath}: unknown CREMA-D sentence ${m[2]} (${CREMA_SENTENCES.join(", ")})`,
      );
    }
    const emotion = CREMA_EMOTIONS[m[3]];
    if (!emotion) {
      throw new Error(`${relPath}: unknown CREMA-D emotion ${m[3]} (ANG, DIS, FEA, HAP, NEU, SAD)`);
    }
    if (!["LO", "MD", "HI", "XX"].includes(m[4])) {
      throw new Error(`${relPath}: unknown CREMA-D level ${m[4]} (LO, MD, HI, XX)`);
    }
    return { speaker, emotion, extra: { sentence: m[2], level: m[4] } };
  },
  audio: CORPUS_AUDIO.cremad,
  source: "github.com/CheyneyComputerScience/CREMA-D (AudioWAV/, git LFS); any folder of " +
    "1001_DFA_ANG_XX.wav files",
  citation: "Cao H et al. (2014) CREMA-D. IEEE Trans. Affective Computing 5(4)",
};

const TESS_EMOTIONS: Record<string, CommonEmotion> = {
  angry: "angry",
  disgust: "disgust",
  fear: "fearful",
  happy: "happy",
  neutral: "neutral",
  ps: "surprised",
  sad: "sad",
};
const TESS_SPEAKERS: Record<string, number> = { OAF: 1, YAF: 2 };

const TESS: CorpusSpec = {
  name: "tess",
  title: "TESS (Toronto Emotional Speech Set)",
  emotions: ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised"],
  speakerNames: { 1: "OAF", 2: "YAF" },
  parse(relPath) {
    const m = /^(OAF|YAF)_([a-z]+)_([a-z]+)\.wav$/i.exec(base(relPath));
    if (!m) return fail(relPath, "a TESS file name (speaker_word_emotion: OAF_back_angry.wav)");
    const emotion = TESS_EMOTIONS[m[3].toLowerCase()];
    if (!emotion) {
      throw new Error(
        `${relPath}: unknown TESS emotion ${m[3]} (angry, disgust, fear, happy, neutral, ps, sad)`,
      );
    }
    const who = m[1].toUpperCase();
    // Folders are named per speaker and emotion (OAF_angry, YAF_pleasant_surprised): they must agree.
    const folder = folders(relPath).pop();
    if (folder && /^(OAF|YAF)_/i.test(folder) && folder.slice(0, 3).toUpperCase() !== who) {
      throw new Error(`${relPath}: a ${who} clip in folder ${folder}`);
    }
    return { speaker: TESS_SPEAKERS[who], emotion, sex: "female", extra: { word: m[2] } };
  },
  audio: CORPUS_AUDIO.tess,
  source: "Borealis (University of Toronto) TESS collection; folders per speaker and emotion " +
    "(OAF_angry/OAF_back_angry.wav, YAF_pleasant_surprised/...)",
  citation: "Pichora-Fuller MK, Dupuis K (2020) Toronto emotional speech set (TESS)",
};

const SAVEE_EMOTIONS: Record<string, CommonEmotion> = {
  a: "angry",
  d: "disgust",
  f: "fearful",
  h: "happy",
  n: "neutral",
  sa: "sad",
  su: "surprised",
};
const SAVEE_SPEAKERS: Record<string, number> = { DC: 1, JE: 2, JK: 3, KL: 4 };

const SAVEE: CorpusSpec = {
  name: "savee",
  title: "SAVEE (Surrey Audio-Visual Expressed Emotion)",
  emotions: ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised"],
  speakerNames: { 1: "DC", 2: "JE", 3: "JK", 4: "KL" },
  parse(relPath) {
    const name = base(relPath);
    const flat = /^(DC|JE|JK|KL)_(a|d|f|h|n|sa|su)(\d{2})\.wav$/.exec(name);
    const nested = /^(a|d|f|h|n|sa|su)(\d{2})\.wav$/.exec(name);
    const folder = folders(relPath).pop() ?? "";
    let who: string, code: string, sentence: string;
    if (flat) [, who, code, sentence] = flat;
    else if (nested && folder in SAVEE_SPEAKERS) {
      [who, code, sentence] = [folder, nested[1], nested[2]];
    } else {
      return fail(
        relPath,
        "a SAVEE file name (DC_a01.wav, or a01.wav in a speaker folder DC, JE, JK or KL)",
      );
    }
    return {
      speaker: SAVEE_SPEAKERS[who],
      emotion: SAVEE_EMOTIONS[code],
      sex: "male",
      extra: { sentence: Number(sentence) },
    };
  },
  audio: CORPUS_AUDIO.savee,
  source: "kahlan.eps.surrey.ac.uk/savee (registration); AudioData/DC/a01.wav ... or DC_a01.wav",
  citation: "Haq S, Jackson PJB (2010) Multimodal emotion recognition. In: Machine Audition",
};

const EMOVO_EMOTIONS: Record<string, CommonEmotion> = {
  dis: "disgust",
  gio: "happy",
  neu: "neutral",
  pau: "fearful",
  rab: "angry",
  sor: "surprised",
  tri: "sad",
};
const EMOVO_SPEAKERS: Record<string, number> = { f1: 1, f2: 2, f3: 3, m1: 4, m2: 5, m3: 6 };

const EMOVO: CorpusSpec = {
  name: "emovo",
  title: "EMOVO (Italian emotional speech)",
  emotions: ["neutral", "happy", "sad", "angry", "fearful", "disgust", "surprised"],
  speakerNames: { 1: "f1", 2: "f2", 3: "f3", 4: "m1", 5: "m2", 6: "m3" },
  parse(relPath) {
    const m = /^([a-z]{3})-([fm][1-3])-([a-z]\d)\.wav$/i.exec(base(relPath));
    if (!m) return fail(relPath, "an EMOVO file name (emotion-speaker-sentence: dis-f1-b1.wav)");
    const emotion = EMOVO_EMOTIONS[m[1].toLowerCase()];
    if (!emotion) {
      throw new Error(
        `${relPath}: unknown EMOVO emotion ${m[1]} (dis, gio, neu, pau, rab, sor, tri)`,
      );
    }
    const who = m[2].toLowerCase();
    const folder = folders(relPath).pop()?.toLowerCase();
    if (folder && folder in EMOVO_SPEAKERS && folder !== who) {
      throw new Error(`${relPath}: a ${who} clip in folder ${folder}`);
    }
    return {
      speaker: EMOVO_SPEAKERS[who],
      emotion,
      sex: who.startsWith("f") ? "female" : "male",
      extra: { sentence: m[3].toLowerCase() },
    };
  },
  audio: CORPUS_AUDIO.emovo,
  source: "the EMOVO corpus (Costantini et al., LREC 2014); folders f1 f2 f3 m1 m2 m3 of " +
    "dis-f1-b1.wav files",
  citation: "Costantini G et al. (2014) EMOVO Corpus. LREC 2014",
};

/** A corpus of the user's own: indexed from its listing (`user_corpus_fs.ts`), not by a rule. */
function userCorpus(name: "manifest" | "audiofolder", title: string, source: string): CorpusSpec {
  return {
    name,
    title,
    emotions: [],
    speakerNames: {},
    parse(relPath) {
      throw new Error(`${relPath}: a ${name} corpus is read from its listing, not its file names`);
    },
    audio: CORPUS_AUDIO[name],
    source,
    citation: "",
  };
}

const MANIFEST = userCorpus(
  "manifest",
  "your corpus (a CSV manifest)",
  "a CSV file with columns file,speaker,emotion (and optionally split: train, val or test), " +
    "paths relative to the CSV; pass it as --data meta.csv",
);
const AUDIOFOLDER = userCorpus(
  "audiofolder",
  "your corpus (a Hugging Face audiofolder)",
  "a folder with metadata.csv (file_name, a label column: label or emotion, and speaker or " +
    "speaker_id), or <label>/<clip>.wav folders with --data.speakerPattern naming the speaker",
);

/** Every corpus the project reads, by name. */
export const CORPORA: Record<CorpusName, CorpusSpec> = {
  ravdess: RAVDESS,
  emodb: EMODB,
  cremad: CREMAD,
  tess: TESS,
  savee: SAVEE,
  emovo: EMOVO,
  manifest: MANIFEST,
  audiofolder: AUDIOFOLDER,
};

/** The corpus named `name`; an error listing the known ones otherwise. */
export function corpusSpec(name: string): CorpusSpec {
  const spec = CORPORA[name as CorpusName];
  if (!spec) throw new Error(`unknown corpus '${name}' (known: ${CORPUS_NAMES.join(", ")})`);
  return spec;
}

/**
 * The classes a run trains on: RAVDESS's eight, or seven with calm merged into neutral
 * (`eval.labels`); a corpus of your own, the labels its index found (`data.ownLabels`); any other
 * corpus, its own emotions.
 */
export function labelSetOf(
  corpus: CorpusName,
  labels: "8class" | "7class",
  own: readonly string[] = [],
): LabelSet {
  if (corpus === "ravdess") return labelSet(labels);
  const classes: readonly string[] = CORPORA[corpus].emotions.length
    ? CORPORA[corpus].emotions
    : own;
  if (!classes.length) {
    throw new Error(
      `${corpus}: no labels yet (data.ownLabels is filled in when the corpus is indexed)`,
    );
  }
  return { name: corpus, classes, indexOf: (e) => classes.indexOf(e) };
}

/**
 * The classes of `set` that `emotions` (another corpus's) has too, in `set`'s order: what a
 * cross-corpus run trains and scores on. An emotion maps as under `set` (calm to neutral in
 * RAVDESS's 7-class set), then to -1 where the other corpus lacks the class.
 */
export function sharedLabelSet(
  set: LabelSet,
  other: CorpusName,
): LabelSet {
  const theirs = new Set(CORPORA[other].emotions.map((e) => set.classes[set.indexOf(e)]));
  const classes = set.classes.filter((c) => theirs.has(c));
  if (classes.length < 2) {
    throw new Error(`${set.name} and ${other} share ${classes.length} emotion(s); need 2 or more`);
  }
  return {
    name: `${set.name} shared with ${other}`,
    classes,
    indexOf: (e) => {
      const k = set.indexOf(e);
      return k < 0 ? -1 : classes.indexOf(set.classes[k]);
    },
  };
}

/** Added to another corpus's speaker numbers (CREMA-D's run to 1091, well under 10000). */
export function speakerOffset(name: CorpusName): number {
  return (CORPUS_NAMES.indexOf(name) + 1) * 10000;
}

/** "emodb 03" for a namespaced speaker number, the bare number for the run's own corpus. */
export function speakerLabel(actor: number): string {
  if (actor < 10000) return String(actor);
  const name = CORPUS_NAMES[Math.floor(actor / 10000) - 1];
  const own = actor % 10000;
  return `${name} ${CORPORA[name]?.speakerNames[own] ?? own}`;
}

/** Whether a run reports RAVDESS's 7-class figures too (an 8-class RAVDESS run does). */
export function reportsSevenClasses(corpus: CorpusName, classes: number): boolean {
  return corpus === "ravdess" && classes === 8;
}
