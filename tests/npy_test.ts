import { assertEquals, assertThrows } from "./assert.ts";
import { decodeNpy, encodeNpy } from "../lib/cache/npy.ts";
import { readNpyFile, writeNpyFile } from "../lib/cache/files.ts";
import { join } from "node:path";
import { REFERENCE_DIR, requires } from "./fixtures.ts";

Deno.test("npy: a float32 matrix round-trips with its shape", () => {
  const data = Float32Array.from({ length: 6 }, (_, i) => i * 0.5);
  const back = decodeNpy(encodeNpy(data, [2, 3]));
  assertEquals(back.dtype, "float32");
  assertEquals(back.shape, [2, 3]);
  assertEquals(Array.from(back.data), Array.from(data));
});

Deno.test("npy: header is padded so data starts on a 64-byte boundary", () => {
  for (const shape of [[0], [7], [3, 1, 4], [162]]) {
    const n = shape.reduce((a, b) => a * b, 1);
    const bytes = encodeNpy(new Int32Array(n), shape);
    const headerLength = bytes[8] | (bytes[9] << 8);
    assertEquals((10 + headerLength) % 64, 0);
    assertEquals(bytes[10 + headerLength - 1], 0x0a);
    assertEquals(decodeNpy(bytes).shape, shape);
  }
});

Deno.test("npy: shape and data length must agree", () => {
  assertThrows(() => encodeNpy(new Float32Array(5), [2, 3]), Error, "holds 6 values, data has 5");
});

Deno.test("npy: bad files are rejected with the file's name and the reason", () => {
  assertThrows(() => decodeNpy(new Uint8Array(20), "x.npy"), Error, "x.npy: not a readable .npy");
  const good = encodeNpy(new Float32Array(10), [10]);
  assertThrows(() => decodeNpy(good.subarray(0, good.length - 4), "cut.npy"), Error, "truncated");
});

Deno.test({
  name: "npy: files NumPy wrote are read (the librosa reference fixtures)",
  ignore: requires("reference"),
  fn: async () => {
    const arr = decodeNpy(await Deno.readFile(join(REFERENCE_DIR, "sine440.mel.npy")));
    assertEquals(arr.shape, [128, 44]);
    assertEquals(arr.dtype, "float32");
  },
});

Deno.test("npy: files are written atomically and read back from disk", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/a/b.npy`;
  await writeNpyFile(path, new Float64Array([1, 2, 3]), [3]);
  const arr = await readNpyFile(path);
  assertEquals(Array.from(arr.data), [1, 2, 3]);
  assertEquals([...Deno.readDirSync(`${dir}/a`)].map((e) => e.name), ["b.npy"]);
  await Deno.remove(dir, { recursive: true });
});
