/**
 * Where the project is on disk: the folder holding deno.json, found from this module's own URL
 * (so it is right wherever the project was cloned and whatever the working directory is).
 */
import { fileURLToPath } from "node:url";
import { isAbsolute, join } from "node:path";

/** The project's root folder (the one holding deno.json). */
export const PROJECT_ROOT = fileURLToPath(new URL("../..", import.meta.url));

export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}

/** A path from the config, relative to the project root unless absolute. */
export function fromRoot(path: string): string {
  return isAbsolute(path) ? path : join(PROJECT_ROOT, path);
}

/**
 * The folder the user typed the command in: `deno task` runs every task in the project root and
 * leaves the user's folder in INIT_CWD; `deno run` keeps it as the working directory.
 */
export function userCwd(): string {
  return Deno.env.get("INIT_CWD") || Deno.cwd();
}

/** A path the user typed (a clip, `--data`, `--resultsDir`, `--run`), relative to their folder. */
export function userPath(path: string): string {
  return isAbsolute(path) ? path : join(userCwd(), path);
}
