/**
 * A corpus of your own (Deno only), in one of the two layouts people keep recordings in:
 *
 * - `manifest`: a CSV with columns `file,speaker,emotion` and optionally `split` (train, val or
 *   test), file paths relative to the CSV;
 * - `audiofolder` (Hugging Face's convention): `metadata.csv` with `file_name`, a label column
 *   (`label` or `emotion`) and a speaker column (`speaker` or `speaker_id`); or `<label>/<clip>.wav`
 *   folders, the speaker taken from each file name by `data.speakerPattern`.
 *
 * Labels are yours: a name of the common vocabulary (also `anger`, `happiness`, `fear`, ...) maps
 * onto it, any other is kept as it is. Speakers get numbers for speaker-independent folds. Every
 * bad row (a missing file, an empty label or speaker, an unknown column) is an error naming the
 * CSV line.
 */
import { basename, dirname, join, relative, sep } from "node:path";
import { type ClipRecord, COMMON_EMOTIONS, type CorpusName } from "../schema/corpus.ts";
import { type CorpusIndex, finishIndex } from "./index_fs.ts";

/** Other names people give the common emotions. */
const SYNONYMS: Record<string, string> = {
  anger: "angry",
  mad: "angry",
  happiness: "happy",
  joy: "happy",
  sadness: "sad",
  fear: "fearful",
  afraid: "fearful",
  disgusted: "disgust",
  surprise: "surprised",
  bored: "boredom",
};

/** A label as the project names it: the common vocabulary where the name matches, else as given. */
export function commonLabel(raw: string): string {
  const name = raw.trim().toLowerCase();
  const mapped = SYNONYMS[name] ?? name;
  return (COMMON_EMOTIONS as readonly string[]).includes(mapped) ? mapped : raw.trim();
}

/** Labels in model order: the common vocabulary's first (in its order), then the rest sorted. */
export function orderLabels(labels: Iterable<string>): string[] {
  const set = [...new Set(labels)];
  const common = (COMMON_EMOTIONS as readonly string[]).filter((e) => set.includes(e));
  const rest = set.filter((l) => !common.includes(l)).sort((a, b) => a.localeCompare(b));
  return [...common, ...rest];
}

/** RFC 4180 CSV: quoted fields (with "" for a quote), commas and newlines inside quotes. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\n" || ch === "\r") {
      if (ch === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += ch;
  }
  if (field !== "" || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

interface Row {
  line: number;
  file: string;
  speaker: string;
  label: string;
  split?: string;
}

/** The records of `rows` (files relative to `root`), checked; speakers numbered 1, 2, ... */
async function recordsOf(
  rows: Row[],
  root: string,
  source: string,
  corpus: CorpusName,
): Promise<{ clips: ClipRecord[]; speakerNames: Record<number, string>; labels: string[] }> {
  const speakers = [...new Set(rows.map((r) => r.speaker))].sort((a, b) =>
    a.localeCompare(b, "en", { numeric: true })
  );
  const number = new Map(speakers.map((s, i) => [s, i + 1]));
  const clips: ClipRecord[] = [];
  const seen = new Map<string, number>();
  for (const r of rows) {
    const where = `${source}, line ${r.line}`;
    if (!r.file) throw new Error(`${where}: no file name`);
    if (!r.label) throw new Error(`${where}: ${r.file} has an empty label`);
    if (!r.speaker) throw new Error(`${where}: ${r.file} has no speaker`);
    const path = join(root, r.file);
    let size: number;
    try {
      const info = await Deno.stat(path);
      if (!info.isFile) throw new Error("not a file");
      size = info.size;
    } catch (err) {
      throw new Error(`${where}: ${r.file} cannot be read (${(err as Error).message})`);
    }
    const relPath = relative(root, path).split(sep).join("/");
    if (seen.has(relPath)) {
      throw new Error(`${where}: ${r.file} is listed twice (also on line ${seen.get(relPath)})`);
    }
    seen.set(relPath, r.line);
    clips.push({
      corpus,
      id: relPath.replace(/\.wav$/i, ""),
      relPath,
      sizeBytes: size,
      actor: number.get(r.speaker)!,
      emotion: commonLabel(r.label),
      speakerName: r.speaker,
    });
  }
  if (!clips.length) throw new Error(`${source}: lists no clips`);
  return {
    clips,
    speakerNames: Object.fromEntries(speakers.map((s, i) => [i + 1, s])),
    labels: orderLabels(clips.map((c) => c.emotion)),
  };
}

/** Each speaker's side from a `split` column; an error where one speaker sits on two sides. */
function splitsOf(
  rows: Row[],
  number: (speaker: string) => number,
  source: string,
): CorpusIndex["splitOf"] {
  if (!rows.some((r) => r.split !== undefined)) return undefined;
  const sides: Record<number, "train" | "val" | "test"> = {};
  for (const r of rows) {
    const v = (r.split ?? "").trim().toLowerCase();
    const side = v === "validation" || v === "dev" ? "val" : v;
    if (side !== "train" && side !== "val" && side !== "test") {
      throw new Error(
        `${source}, line ${r.line}: split '${r.split}' (want train, val or test, or no split column)`,
      );
    }
    const n = number(r.speaker);
    if (sides[n] && sides[n] !== side) {
      throw new Error(
        `${source}, line ${r.line}: speaker ${r.speaker} is in ${sides[n]} and ${side}: a ` +
          "speaker-independent evaluation needs each speaker on one side (or drop the split column to use folds)",
      );
    }
    sides[n] = side;
  }
  return sides;
}

/** The columns of a header, case-insensitive: `{name: index}`. */
function columns(header: string[]): Map<string, number> {
  return new Map(header.map((h, i) => [h.trim().toLowerCase(), i]));
}

async function readCsv(path: string): Promise<string[][]> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`${path}: cannot read (${(err as Error).message})`);
  }
  return parseCsv(text.replace(/^\uFEFF/, "")).filter((r) => r.some((f) => f.trim() !== ""));
}

/** A `manifest` corpus: the CSV at `csvPath`. */
export async function indexManifest(
  csvPath: string,
  cacheDir: string | null,
): Promise<CorpusIndex> {
  const table = await readCsv(csvPath);
  if (!table.length) throw new Error(`${csvPath}: empty (want a header file,speaker,emotion)`);
  const cols = columns(table[0]);
  const allowed = ["file", "speaker", "emotion", "split"];
  const unknown = [...cols.keys()].filter((c) => !allowed.includes(c));
  if (unknown.length) {
    throw new Error(
      `${csvPath}, line 1: unknown column${unknown.length > 1 ? "s" : ""} ${
        unknown.join(", ")
      } (a manifest has file, speaker, emotion and optionally split)`,
    );
  }
  const missing = ["file", "speaker", "emotion"].filter((c) => !cols.has(c));
  if (missing.length) {
    throw new Error(
      `${csvPath}, line 1: no ${missing.join(", ")} column (want file,speaker,emotion)`,
    );
  }
  const rows = table.slice(1).map((f, i): Row => {
    if (f.length !== table[0].length) {
      throw new Error(
        `${csvPath}, line ${i + 2}: ${f.length} fields, the header has ${table[0].length}`,
      );
    }
    return {
      line: i + 2,
      file: f[cols.get("file")!].trim(),
      speaker: f[cols.get("speaker")!].trim(),
      label: f[cols.get("emotion")!].trim(),
      ...(cols.has("split") ? { split: f[cols.get("split")!] } : {}),
    };
  });
  const root = dirname(csvPath);
  const { clips, speakerNames, labels } = await recordsOf(rows, root, csvPath, "manifest");
  const number = new Map(Object.entries(speakerNames).map(([n, s]) => [s, Number(n)]));
  const splitOf = splitsOf(rows, (s) => number.get(s)!, csvPath);
  return await finishIndex(root, "manifest", clips, [], cacheDir, {
    labels,
    speakerNames,
    ...(splitOf ? { splitOf } : {}),
  });
}

/** Every `.wav` below `dir` (relative paths, `/` separators), sorted. */
async function wavsBelow(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(join(dir, prefix))) {
    if (e.name.startsWith(".")) continue;
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory) out.push(...await wavsBelow(dir, rel));
    else if (e.name.toLowerCase().endsWith(".wav")) out.push(rel);
  }
  return out.sort();
}

/** An `audiofolder` corpus: `dir` with `metadata.csv`, or with one folder per label. */
export async function indexAudioFolder(
  dir: string,
  speakerPattern: string,
  cacheDir: string | null,
): Promise<CorpusIndex> {
  const metadata = join(dir, "metadata.csv");
  let rows: Row[];
  const speakerOf = (file: string, where: string): string => {
    if (!speakerPattern) {
      throw new Error(
        `${where}: no speaker for ${file}: add a speaker column to metadata.csv, or pass ` +
          "--data.speakerPattern with a group that matches the speaker in each file name",
      );
    }
    const m = new RegExp(speakerPattern).exec(basename(file));
    if (!m?.[1]) {
      throw new Error(
        `${where}: --data.speakerPattern=${speakerPattern} finds no speaker in ${file}`,
      );
    }
    return m[1];
  };
  let source = metadata;
  try {
    await Deno.stat(metadata);
  } catch {
    source = dir;
  }
  if (source === metadata) {
    const table = await readCsv(metadata);
    const cols = columns(table[0] ?? []);
    const label = ["label", "emotion", "labels"].find((c) => cols.has(c));
    const speaker = ["speaker", "speaker_id", "actor"].find((c) => cols.has(c));
    if (!cols.has("file_name") || !label) {
      throw new Error(
        `${metadata}, line 1: want a file_name column and a label column (label or emotion)`,
      );
    }
    rows = table.slice(1).map((f, i) => {
      const line = i + 2;
      const file = (f[cols.get("file_name")!] ?? "").trim();
      return {
        line,
        file,
        label: (f[cols.get(label)!] ?? "").trim(),
        speaker: speaker
          ? (f[cols.get(speaker)!] ?? "").trim()
          : speakerOf(file, `${metadata}, line ${line}`),
      };
    });
  } else {
    // <label>/<clip>.wav: the folder names the label.
    rows = (await wavsBelow(dir)).map((rel, i) => {
      const parts = rel.split("/");
      if (parts.length < 2) {
        throw new Error(
          `${
            join(dir, rel)
          }: not in a label folder (an audiofolder without metadata.csv keeps each clip in <label>/)`,
        );
      }
      return { line: i + 1, file: rel, label: parts[0], speaker: speakerOf(rel, join(dir, rel)) };
    });
    if (!rows.length) throw new Error(`${dir}: no metadata.csv and no <label>/<clip>.wav files`);
  }
  const { clips, speakerNames, labels } = await recordsOf(rows, dir, source, "audiofolder");
  return await finishIndex(dir, "audiofolder", clips, [], cacheDir, { labels, speakerNames });
}
