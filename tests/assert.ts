/**
 * Assertions for the tests. JSR (and so `@std/assert`) is not reachable from the machines this
 * project is built on, so these wrap `node:assert`, which Deno ships.
 */
import nodeAssert from "node:assert/strict";

export function assert(cond: unknown, message = "assertion failed"): asserts cond {
  nodeAssert.ok(cond, message);
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertNotEquals<T>(actual: T, expected: T, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

export function assertLess(actual: number, bound: number, message = ""): void {
  nodeAssert.ok(actual < bound, `${message} expected ${actual} < ${bound}`.trim());
}

export function assertAlmostEquals(actual: number, expected: number, tol: number, msg = ""): void {
  nodeAssert.ok(
    Math.abs(actual - expected) <= tol,
    `${msg} expected ${actual} within ${tol} of ${expected}`.trim(),
  );
}

type ErrorClass = new (...args: never[]) => Error;

function checkError(err: unknown, cls: ErrorClass, includes?: string): void {
  nodeAssert.ok(err instanceof cls, `expected ${cls.name}, got ${String(err)}`);
  if (includes !== undefined) {
    nodeAssert.ok(
      (err as Error).message.includes(includes),
      `expected the message to include ${JSON.stringify(includes)}, got ${
        JSON.stringify((err as Error).message)
      }`,
    );
  }
}

export function assertThrows(fn: () => unknown, cls: ErrorClass = Error, includes?: string): Error {
  try {
    fn();
  } catch (err) {
    checkError(err, cls, includes);
    return err as Error;
  }
  throw new nodeAssert.AssertionError({ message: "expected the function to throw" });
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  cls: ErrorClass = Error,
  includes?: string,
): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    checkError(err, cls, includes);
    return err as Error;
  }
  throw new nodeAssert.AssertionError({ message: "expected the promise to reject" });
}
