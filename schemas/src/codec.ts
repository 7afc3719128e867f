/**
 * Compiled validators: the one way bytes from the bus become typed values. Every failure says
 * precisely why (size, encoding, JSON syntax, or the first schema violation with its path), so a
 * consumer can record it as a dead letter instead of guessing.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler';

/** Default ceiling for one payload. Large enough for a birth with thousands of services. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 256 * 1024;

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The decoding side of a codec alone: what a consumer of one payload type needs. */
export interface Decoder<T> {
  decode(payload: Uint8Array | string, maxBytes?: number): DecodeResult<T>;
}

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

/**
 * No payload of the contract nests deeper than a handful of levels; garbage that nests thousands
 * deep costs milliseconds to parse and yields only a dead letter, so it is refused before parsing.
 */
export const MAX_JSON_DEPTH = 64;

/** True when `text` opens more than `max` arrays/objects at once (brackets inside strings ignored). */
function nestsDeeperThan(text: string, max: number): boolean {
  if (text.length <= max) return false;
  // Nesting deeper than `max` needs more than `max` opening brackets. Counting them with the
  // native indexOf is several times faster than the character loop below, and a payload of the
  // contract has a handful, so the loop runs only for the rare text with that many brackets.
  if (!opensMoreThan(text, max)) return false;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i += 1;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 93 /* ] */ || c === 125 /* } */) depth -= 1;
  }
  return false;
}

/** True when `text` has more than `max` of `[` and `{` together (inside strings too). */
function opensMoreThan(text: string, max: number): boolean {
  let count = 0;
  for (let i = text.indexOf('{'); i !== -1; i = text.indexOf('{', i + 1)) if (++count > max) return true;
  for (let i = text.indexOf('['); i !== -1; i = text.indexOf('[', i + 1)) if (++count > max) return true;
  return false;
}

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
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) return { ok: false, reason: `payload nests deeper than ${MAX_JSON_DEPTH} levels` };
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch (err) {
    return { ok: false, reason: `payload is not JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function createCodec<S extends TSchema>(name: string, schema: S): Codec<S> {
  // Compiled on first use, not at import: a process (the dashboard above all, while its page
  // loads) compiles only the codecs it uses, when it first uses them.
  let compiled: TypeCheck<S> | undefined;
  const check = (value: unknown): boolean => (compiled ??= TypeCompiler.Compile(schema)).Check(value);
  const problem = (value: unknown): string | null => {
    if (check(value)) return null;
    const first = compiled!.Errors(value).First();
    if (first === undefined) return `does not match ${name}`;
    return `${name}${first.path === '' ? '' : ` at ${first.path}`}: ${first.message}`;
  };
  return {
    name,
    schema,
    is: (value): value is Static<S> => check(value),
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
