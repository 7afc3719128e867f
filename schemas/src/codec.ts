/**
 * Compiled validators: the one way bytes from the bus become typed values. Every failure says
 * precisely why (size, encoding, JSON syntax, or the first schema violation with its path), so a
 * consumer can record it as a dead letter instead of guessing.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';

/** Default ceiling for one payload. Large enough for a birth with thousands of services. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface Codec<S extends TSchema> {
  readonly name: string;
  readonly schema: S;
  is(value: unknown): value is Static<S>;
  /** Why `value` does not match, or null. */
  problem(value: unknown): string | null;
  decode(payload: Uint8Array | string, maxBytes?: number): DecodeResult<Static<S>>;
  encode(value: Static<S>): string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parse bytes as JSON with a size limit; never throws. */
export function parseJson(payload: Uint8Array | string, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): DecodeResult<unknown> {
  const size = typeof payload === 'string' ? payload.length : payload.byteLength;
  if (size > maxBytes) return { ok: false, reason: `payload of ${size} bytes exceeds the limit of ${maxBytes}` };
  if (size === 0) return { ok: false, reason: 'empty payload' };
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch {
    return { ok: false, reason: 'payload is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `payload is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function createCodec<S extends TSchema>(name: string, schema: S): Codec<S> {
  const compiled = TypeCompiler.Compile(schema);
  const problem = (value: unknown): string | null => {
    if (compiled.Check(value)) return null;
    const first = compiled.Errors(value).First();
    if (first === undefined) return `does not match ${name}`;
    return `${name}${first.path === '' ? '' : ` at ${first.path}`}: ${first.message}`;
  };
  return {
    name,
    schema,
    is: (value): value is Static<S> => compiled.Check(value),
    problem,
    decode(payload, maxBytes) {
      const parsed = parseJson(payload, maxBytes);
      if (!parsed.ok) return parsed;
      const why = problem(parsed.value);
      return why === null ? { ok: true, value: parsed.value as Static<S> } : { ok: false, reason: why };
    },
    encode: (value) => JSON.stringify(value),
  };
}
