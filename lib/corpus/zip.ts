/**
 * Reading ZIP archives entry by entry (stored or deflated), with CRC checks and refusal of
 * entries whose paths would land outside the extraction folder ("zip slip").
 * Pure: works on bytes in memory; inflation is fflate's.
 */
import { inflateSync } from "fflate";

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
  isDirectory: boolean;
}

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

export function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Lists the central directory. Throws, naming `source`, on anything but a well-formed archive. */
export function listZipEntries(bytes: Uint8Array, source: string): ZipEntry[] {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a readable zip archive: ${why}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) fail("no end-of-central-directory record (truncated download?)");
  const count = view.getUint16(eocd + 10, true);
  const cdSize = view.getUint32(eocd + 12, true);
  const cdOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff) fail("ZIP64 archives are not supported");
  if (cdOffset + cdSize > eocd) fail("central directory lies outside the file");
  const decoder = new TextDecoder();
  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > bytes.length || view.getUint32(at, true) !== 0x02014b50) {
      fail(`bad central directory entry ${i}`);
    }
    const nameLen = view.getUint16(at + 28, true);
    const extraLen = view.getUint16(at + 30, true);
    const commentLen = view.getUint16(at + 32, true);
    const name = decoder.decode(bytes.subarray(at + 46, at + 46 + nameLen));
    const entry: ZipEntry = {
      name,
      method: view.getUint16(at + 10, true),
      crc32: view.getUint32(at + 16, true),
      compressedSize: view.getUint32(at + 20, true),
      uncompressedSize: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
      isDirectory: name.endsWith("/"),
    };
    if (entry.compressedSize === 0xffffffff || entry.localHeaderOffset === 0xffffffff) {
      fail(`entry ${name} needs ZIP64, which is not supported`);
    }
    entries.push(entry);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** Decompresses one entry and checks its CRC-32. */
export function readZipEntry(bytes: Uint8Array, entry: ZipEntry, source: string): Uint8Array {
  const fail = (why: string): never => {
    throw new Error(`${source}: entry ${entry.name}: ${why}`);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const h = entry.localHeaderOffset;
  if (h + 30 > bytes.length || view.getUint32(h, true) !== 0x04034b50) fail("bad local header");
  const start = h + 30 + view.getUint16(h + 26, true) + view.getUint16(h + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.length) fail("data runs past the end of the archive (truncated?)");
  const raw = bytes.subarray(start, end);
  let out: Uint8Array;
  if (entry.method === 0) out = raw.slice();
  else if (entry.method === 8) {
    out = inflateSync(raw, { out: new Uint8Array(entry.uncompressedSize) });
  } else {return fail(
      `compression method ${entry.method} is not supported (only stored and deflate)`,
    );}
  if (out.length !== entry.uncompressedSize) {
    fail(`inflated to ${out.length} bytes, expected ${entry.uncompressedSize}`);
  }
  if (crc32(out) !== entry.crc32) fail("CRC-32 mismatch (corrupt archive)");
  return out;
}

/**
 * The entry's path as relative segments, or an error if it is absolute, has `..`, a drive letter
 * or backslashes: such an entry would write outside the folder we extract into.
 */
export function safeEntrySegments(name: string, source: string): string[] {
  const refuse = (why: string): never => {
    throw new Error(`${source}: refusing entry ${JSON.stringify(name)}: ${why}`);
  };
  if (name.includes("\\")) refuse("backslash in path");
  if (name.startsWith("/")) refuse("absolute path");
  if (/^[a-zA-Z]:/.test(name)) refuse("drive-letter path");
  if (name.includes("\0")) refuse("NUL in path");
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.some((s) => s === "..")) refuse("path escapes the target folder");
  return segments;
}
