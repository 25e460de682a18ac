/**
 * The configuration API in one import: the defaults and schema (`defaults.ts`), parsing
 * (`parse.ts`), checks (`validate.ts`), configs derived from a config (`derive.ts`), the recipe
 * grammar (`recipe.ts`), and configs as runs store and hash them (`stored.ts`). Pure.
 */
export * from "./defaults.ts";
export * from "./recipe.ts";
export * from "./parse.ts";
export * from "./validate.ts";
export * from "./derive.ts";
export * from "./stored.ts";
