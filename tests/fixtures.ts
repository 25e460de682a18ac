/**
 * Where the tests find real data: the librosa reference outputs and the RAVDESS development
 * corpus beside the project (`../shared`), or `RAVDESS_DIR`. Tests that need them are ignored,
 * with a message saying where we looked, when they are absent.
 */
import { fileURLToPath } from "node:url";
import { join } from "node:path";
import { readReferenceArray } from "../lib/features/reference_fs.ts";

const root = fileURLToPath(new URL("..", import.meta.url));

export const REFERENCE_DIR = join(root, "..", "shared", "reference", "librosa");
export const CORPUS_DIR = Deno.env.get("RAVDESS_DIR") ?? join(root, "..", "shared", "ravdess");

function isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch {
    return false;
  }
}

export const HAVE_REFERENCE = isDir(REFERENCE_DIR);
export const HAVE_CORPUS = isDir(join(CORPUS_DIR, "Actor_01"));

const warned = new Set<string>();
/** Logs once per missing resource why the tests that need it are ignored. */
export function requires(what: "reference" | "corpus"): boolean {
  const have = what === "reference" ? HAVE_REFERENCE : HAVE_CORPUS;
  if (!have && !warned.has(what)) {
    warned.add(what);
    const where = what === "reference"
      ? REFERENCE_DIR
      : `${CORPUS_DIR} (set RAVDESS_DIR to change)`;
    console.warn(
      `skipping tests that need the ${
        what === "reference" ? "librosa reference outputs" : "RAVDESS corpus"
      }: none at ${where}`,
    );
  }
  return !have;
}

export const reference = (name: string) => readReferenceArray(REFERENCE_DIR, name);

export interface ReferenceIndex {
  sr: number;
  fixtures: Record<string, Record<string, unknown> & { source?: string; native_sr?: number }>;
}

export function referenceIndex(): ReferenceIndex {
  return HAVE_REFERENCE
    ? JSON.parse(Deno.readTextFileSync(join(REFERENCE_DIR, "index.json")))
    : { sr: 22050, fixtures: {} };
}

/** The development copy of EmoDB beside the project (`../shared/emodb`), or `EMODB_DIR`. */
export const EMODB_DIR = Deno.env.get("EMODB_DIR") ?? join(root, "..", "shared", "emodb");
export const HAVE_EMODB = isDir(EMODB_DIR);
