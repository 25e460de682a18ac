/**
 * NumPy `.npy` (format version 1.0) encoding and decoding, in memory.
 *
 * Pure: no Deno APIs, so it runs in a browser too. Only the dtypes the project stores are
 * supported (little-endian float32, float64, int32). We write C order; Fortran-order files
 * (NumPy writes those for transposed arrays, as some librosa outputs are) are read into C order.
 */

export type NpyDtype = "float32" | "float64" | "int32";

export type NpyData = Float32Array | Float64Array | Int32Array;

export interface NpyArray<T extends NpyData = NpyData> {
  dtype: NpyDtype;
  shape: number[];
  data: T;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

const DESCR: Record<NpyDtype, string> = { float32: "<f4", float64: "<f8", int32: "<i4" };

function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  return "int32";
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Encodes an array as the bytes of a version 1.0 `.npy` file that `numpy.load` reads as is. */
export function encodeNpy(data: NpyData, shape: readonly number[]): Uint8Array {
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new Error(`npy: invalid shape [${shape.join(", ")}]`);
  }
  if (product(shape) !== data.length) {
    throw new Error(
      `npy: shape [${shape.join(", ")}] holds ${product(shape)} values, data has ${data.length}`,
    );
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '${
    DESCR[dtypeOf(data)]
  }', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // The spec asks for the data to start on a 64-byte boundary, header ending in "\n".
  const unpadded = MAGIC.length + 2 + 2 + header.length + 1;
  header += " ".repeat((64 - (unpadded % 64)) % 64) + "\n";
  if (header.length > 0xffff) throw new Error("npy: header too long for format 1.0");
  const out = new Uint8Array(MAGIC.length + 4 + header.length + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  new DataView(out.buffer).setUint16(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[10 + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), 10 + header.length);
  return out;
}

/**
 * Decodes `.npy` bytes (format 1.x, 2.x or 3.x; `<f4`, `<f8`, `<i4`, C order).
 * `source` names the file in error messages.
 */
export function decodeNpy(bytes: Uint8Array, source = "<npy bytes>"): NpyArray {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a readable .npy file: ${why}`);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b)) fail("missing \\x93NUMPY magic");
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLength: number;
  let headerStart: number;
  if (major === 1) {
    headerLength = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail("truncated header");
    headerLength = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported format version ${major}`);
  }
  const dataStart = headerStart + headerLength;
  if (dataStart > bytes.length) fail("truncated header");
  const header = new TextDecoder().decode(bytes.subarray(headerStart, dataStart));
  const descr = /'descr'\s*:\s*'([^']+)'/.exec(header)?.[1];
  const fortran = /'fortran_order'\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    fail(`malformed header ${JSON.stringify(header.trim())}`);
  }
  const shape = shapeText!.split(",").map((s) => s.trim()).filter((s) => s !== "").map(Number);
  if (shape.some((d) => !Number.isInteger(d) || d < 0)) fail(`bad shape (${shapeText})`);
  const dtype = (Object.keys(DESCR) as NpyDtype[]).find((k) =>
    DESCR[k] === descr || (descr === `|${DESCR[k].slice(1)}`)
  );
  if (dtype === undefined) fail(`unsupported dtype '${descr}' (want <f4, <f8 or <i4)`);
  const count = product(shape);
  const itemSize = dtype === "float64" ? 8 : 4;
  const byteLength = count * itemSize;
  if (dataStart + byteLength > bytes.length) {
    fail(
      `data truncated: header promises ${byteLength} bytes, file has ${bytes.length - dataStart}`,
    );
  }
  // Copy so the result is aligned and independent of the input buffer.
  const raw = bytes.slice(dataStart, dataStart + byteLength).buffer;
  const data = dtype === "float32"
    ? new Float32Array(raw)
    : dtype === "float64"
    ? new Float64Array(raw)
    : new Int32Array(raw);
  return { dtype: dtype!, shape, data: fortran === "True" ? fortranToC(data, shape) : data };
}

/** Reorders a column-major (Fortran) array into row-major (C) order. */
function fortranToC<T extends NpyData>(data: T, shape: number[]): T {
  if (shape.length < 2) return data;
  const out = new (data.constructor as { new (n: number): T })(data.length);
  const nd = shape.length;
  const idx = new Array(nd).fill(0);
  // Walk C order; the Fortran offset of (i0..ik) is sum(i_j * prod(shape[0..j-1])).
  const fStride = shape.map((_, j) => shape.slice(0, j).reduce((a, b) => a * b, 1));
  for (let c = 0; c < data.length; c++) {
    let f = 0;
    for (let j = 0; j < nd; j++) f += idx[j] * fStride[j];
    out[c] = data[f];
    for (let j = nd - 1; j >= 0; j--) {
      if (++idx[j] < shape[j]) break;
      idx[j] = 0;
    }
  }
  return out;
}
