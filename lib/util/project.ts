/**
 * Where the project is on disk: the folder holding deno.json, found from this module's own URL
 * (so it is right wherever the project was cloned and whatever the working directory is).
 */
import { fileURLToPath } from "node:url";
import { isAbsolute, join } from "node:path";

/** The project's root folder (the one holding deno.json). */
export const PROJECT_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function projectPath(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}

/** A path from the config, relative to the project root unless absolute. */
export function fromRoot(path: string): string {
  return isAbsolute(path) ? path : join(PROJECT_ROOT, path);
}
