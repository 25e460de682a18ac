/**
 * Saving and loading tfjs layers models as files (Deno only). tfjs's own `file://` handlers are
 * Node-only; this writes the standard layers format (`model.json` + `weights.bin`) that
 * `tf.loadLayersModel` reads over HTTP too, so a browser page can load a run folder as is.
 */
import * as tf from "@tensorflow/tfjs";
// Saved networks may hold attention pooling: its class must be registered before loading.
import "./attention_pool.ts";
import "./std_pool.ts";
import "./squeeze_excite.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeFileAtomic } from "../cache/files.ts";

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

function joinWeights(data: tf.io.WeightData): Uint8Array {
  const buffer = Array.isArray(data) ? tf.io.concatenateArrayBuffers(data) : data;
  return new Uint8Array(buffer);
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/** Bytes a manifest entry takes in weights.bin (quantized entries: their stored width). */
function weightBytes(w: tf.io.WeightsManifestEntry): number {
  const count = w.shape.reduce((a, b) => a * b, 1);
  const q = w.quantization?.dtype;
  const width = q ? (q === "float16" || q === "uint16" ? 2 : 1) : DTYPE_BYTES[w.dtype] ?? 4;
  return count * width;
}

/** An IOHandler writing and reading `<dir>/model.json` and `<dir>/weights.bin`. */
export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new Error("saving a model: binary (graph) topologies are not supported here");
      }
      await Deno.mkdir(dir, { recursive: true });
      const weights = artifacts.weightData ? joinWeights(artifacts.weightData) : new Uint8Array();
      const modelJson = {
        modelTopology: artifacts.modelTopology,
        format: artifacts.format ?? "layers-model",
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy ?? null,
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata
          ? { userDefinedMetadata: artifacts.userDefinedMetadata }
          : {}),
        weightsManifest: [{ paths: [`./${WEIGHTS_BIN}`], weights: artifacts.weightSpecs ?? [] }],
      };
      // Weights first: a model.json on disk always points at complete weights.
      await writeFileAtomic(join(dir, WEIGHTS_BIN), weights);
      await writeFileAtomic(join(dir, MODEL_JSON), JSON.stringify(modelJson));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: "JSON",
          weightDataBytes: weights.byteLength,
        },
      };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      const path = join(dir, MODEL_JSON);
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await Deno.readTextFile(path));
      } catch (err) {
        throw new Error(`${path}: cannot read a tfjs model (${(err as Error).message})`);
      }
      if (!json.modelTopology || !Array.isArray(json.weightsManifest)) {
        throw new Error(`${path}: not a tfjs layers model.json (no modelTopology/weightsManifest)`);
      }
      const specs: tf.io.WeightsManifestEntry[] = [];
      const parts: Uint8Array[] = [];
      for (const group of json.weightsManifest) {
        specs.push(...group.weights);
        for (const p of group.paths) {
          try {
            parts.push(await Deno.readFile(join(dir, p)));
          } catch (err) {
            throw new Error(
              `${join(dir, p)}: cannot read the model's weights (${(err as Error).message})`,
            );
          }
        }
      }
      const total = parts.reduce((a, p) => a + p.byteLength, 0);
      const expected = specs.reduce((a, w) => a + weightBytes(w), 0);
      if (total !== expected) {
        throw new Error(
          `${join(dir, WEIGHTS_BIN)}: ${total} bytes, but ${MODEL_JSON} lists ${expected} bytes ` +
            `of weights (a truncated copy, or files of two different models); restore the run ` +
            `folder or train again`,
        );
      }
      const weightData = new Uint8Array(total);
      let at = 0;
      for (const p of parts) {
        weightData.set(p, at);
        at += p.byteLength;
      }
      return {
        modelTopology: json.modelTopology,
        format: json.format,
        generatedBy: json.generatedBy,
        convertedBy: json.convertedBy,
        trainingConfig: json.trainingConfig,
        userDefinedMetadata: json.userDefinedMetadata,
        weightSpecs: specs,
        weightData: weightData.buffer,
      };
    },
  };
}

let routersRegistered = false;

/**
 * Let `model.save("file://...")` and `tf.loadLayersModel("file://.../model.json")` use the
 * handler above. A save URL names the folder; a load URL names the folder or its model.json.
 */
export function registerFileRouters(): void {
  if (routersRegistered) return;
  routersRegistered = true;
  const toDir = (url: string, forLoad: boolean) => {
    const path = fileURLToPath(url);
    return forLoad && path.endsWith(".json") ? dirname(path) : path;
  };
  tf.io.registerSaveRouter((url: string | string[]) =>
    typeof url === "string" && url.startsWith("file://")
      ? fileSystemHandler(toDir(url, false))
      : (null as unknown as tf.io.IOHandler)
  );
  tf.io.registerLoadRouter((url: string | string[]) =>
    typeof url === "string" && url.startsWith("file://")
      ? fileSystemHandler(toDir(url, true))
      : (null as unknown as tf.io.IOHandler)
  );
}

export async function saveModel(model: tf.LayersModel, dir: string): Promise<void> {
  await model.save(fileSystemHandler(dir));
}

export function loadModel(dir: string): Promise<tf.LayersModel> {
  return tf.loadLayersModel(fileSystemHandler(dir));
}
