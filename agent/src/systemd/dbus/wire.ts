/**
 * The D-Bus wire format, only as much of it as the agent needs (D-Bus Specification, "Message
 * Protocol"): it writes method calls whose arguments are strings, and reads any message, whatever
 * its signature, into plain values. A variant becomes its value, a dict (`a{..}`) a plain object,
 * a struct an array, `x`/`t` a bigint, every other integer a number.
 *
 * Every value is aligned to its own size (structs and dict entries to 8), relative to the start of
 * the message; an array's byte length excludes the padding before its first element.
 */

export const enum MessageType {
  MethodCall = 1,
  MethodReturn = 2,
  Error = 3,
  Signal = 4,
}

/** Header field codes and the type each carries. */
const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8 } as const;

export interface Message {
  type: MessageType;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  signature: string;
  body: unknown[];
}

export class DbusWireError extends Error {
  readonly code = 'DBUS_WIRE';
}

/** Longest message the specification allows (2^27). */
export const MAX_MESSAGE_BYTES = 134_217_728;
const NO_REPLY_EXPECTED = 0x1;

// ---------------------------------------------------------------- writing (method calls, string args)

class Writer {
  private readonly parts: number[] = [];
  get length(): number {
    return this.parts.length;
  }
  align(n: number): void {
    while (this.parts.length % n !== 0) this.parts.push(0);
  }
  byte(b: number): void {
    this.parts.push(b & 0xff);
  }
  uint32(v: number): void {
    this.align(4);
    this.parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  setUint32(at: number, v: number): void {
    this.parts.splice(at, 4, v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  }
  /** `s` and `o`: uint32 length, UTF-8 bytes, NUL. */
  string(s: string): void {
    const bytes = Buffer.from(s, 'utf8');
    this.uint32(bytes.length);
    for (const b of bytes) this.parts.push(b);
    this.parts.push(0);
  }
  /** `g`: one byte of length, ASCII, NUL. */
  signature(s: string): void {
    if (s.length > 255) throw new DbusWireError(`signature too long: ${s.length}`);
    this.parts.push(s.length);
    for (let i = 0; i < s.length; i++) this.parts.push(s.charCodeAt(i));
    this.parts.push(0);
  }
  toBuffer(): Buffer {
    return Buffer.from(this.parts);
  }
}

export interface MethodCall {
  serial: number;
  destination: string;
  path: string;
  interface: string;
  member: string;
  /** String arguments; the body signature is one `s` per argument. */
  args?: readonly string[];
  noReply?: boolean;
}

export function encodeMethodCall(call: MethodCall): Buffer {
  const args = call.args ?? [];
  const body = new Writer();
  for (const a of args) body.string(a);

  const w = new Writer();
  w.byte(0x6c); // 'l': little endian
  w.byte(MessageType.MethodCall);
  w.byte(call.noReply === true ? NO_REPLY_EXPECTED : 0);
  w.byte(1); // protocol version
  w.uint32(body.length);
  w.uint32(call.serial);
  const lengthAt = w.length;
  w.uint32(0); // header fields array length, patched below
  const fieldsStart = w.length;
  const field = (code: number, sig: 'o' | 's' | 'g', value: string) => {
    w.align(8);
    w.byte(code);
    w.signature(sig);
    if (sig === 'g') w.signature(value);
    else w.string(value);
  };
  field(FIELD.path, 'o', call.path);
  field(FIELD.interface, 's', call.interface);
  field(FIELD.member, 's', call.member);
  field(FIELD.destination, 's', call.destination);
  if (args.length > 0) field(FIELD.signature, 'g', 's'.repeat(args.length));
  w.setUint32(lengthAt, w.length - fieldsStart);
  w.align(8);
  return Buffer.concat([w.toBuffer(), body.toBuffer()]);
}

// ---------------------------------------------------------------- reading (any signature)

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, h: 4, s: 4, o: 4, g: 1, a: 4, '(': 8, '{': 8, v: 1 };

/** Index just past the single complete type starting at `i` of `sig`. */
function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === 'a') return typeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new DbusWireError(`unterminated ${c} in signature ${sig}`);
      j = typeEnd(sig, j);
    }
    return j + 1;
  }
  if (c === undefined || ALIGN[c] === undefined) throw new DbusWireError(`unknown type ${JSON.stringify(c)} in signature ${sig}`);
  return i + 1;
}

/** The complete types of a signature, e.g. `sa{sv}as` -> [s, a{sv}, as]. */
export function splitSignature(sig: string): string[] {
  const types: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const end = typeEnd(sig, i);
    types.push(sig.slice(i, end));
    i = end;
  }
  return types;
}

class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly le: boolean,
  ) {}

  private align(n: number): void {
    this.pos = Math.ceil(this.pos / n) * n;
    if (this.pos > this.buf.length) throw new DbusWireError('message truncated');
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new DbusWireError('message truncated');
  }
  uint32(): number {
    this.align(4);
    this.need(4);
    const v = this.le ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }
  private str(len: number): string {
    this.need(len + 1);
    const s = this.buf.toString('utf8', this.pos, this.pos + len);
    this.pos += len + 1;
    return s;
  }
  signature(): string {
    this.need(1);
    return this.str(this.buf[this.pos++]!);
  }

  /** One value of the single complete type `t`. */
  value(t: string): unknown {
    const b = this.buf;
    switch (t[0]) {
      case 'y':
        this.need(1);
        return b[this.pos++];
      case 'b':
        return this.uint32() !== 0;
      case 'n':
      case 'q': {
        this.align(2);
        this.need(2);
        const v = t === 'n' ? (this.le ? b.readInt16LE(this.pos) : b.readInt16BE(this.pos)) : this.le ? b.readUInt16LE(this.pos) : b.readUInt16BE(this.pos);
        this.pos += 2;
        return v;
      }
      case 'i': {
        this.align(4);
        this.need(4);
        const v = this.le ? b.readInt32LE(this.pos) : b.readInt32BE(this.pos);
        this.pos += 4;
        return v;
      }
      case 'u':
      case 'h':
        return this.uint32();
      case 'x':
      case 't':
      case 'd': {
        this.align(8);
        this.need(8);
        const p = this.pos;
        this.pos += 8;
        if (t === 'd') return this.le ? b.readDoubleLE(p) : b.readDoubleBE(p);
        if (t === 'x') return this.le ? b.readBigInt64LE(p) : b.readBigInt64BE(p);
        return this.le ? b.readBigUInt64LE(p) : b.readBigUInt64BE(p);
      }
      case 's':
      case 'o':
        return this.str(this.uint32());
      case 'g':
        return this.signature();
      case 'v': {
        const sig = this.signature();
        const types = splitSignature(sig);
        if (types.length !== 1) throw new DbusWireError(`variant signature is not one type: ${sig}`);
        return this.value(types[0]!);
      }
      case '(': {
        this.align(8);
        return splitSignature(t.slice(1, -1)).map((m) => this.value(m));
      }
      case 'a':
        return this.array(t.slice(1));
      default:
        throw new DbusWireError(`unknown type ${t}`);
    }
  }

  private array(elem: string): unknown {
    const len = this.uint32();
    if (len > 67_108_864) throw new DbusWireError(`array of ${len} bytes`);
    this.align(ALIGN[elem[0]!] ?? 1);
    const end = this.pos + len;
    if (end > this.buf.length) throw new DbusWireError('message truncated');
    if (elem[0] === '{') {
      const [keyType, valueType] = splitSignature(elem.slice(1, -1)) as [string, string];
      const dict: Record<string, unknown> = {};
      while (this.pos < end) {
        this.align(8);
        dict[String(this.value(keyType))] = this.value(valueType);
      }
      return dict;
    }
    const items: unknown[] = [];
    while (this.pos < end) items.push(this.value(elem));
    if (this.pos !== end) throw new DbusWireError('array elements overrun the array length');
    return items;
  }
}

/** Total length of the message at the start of `buf`, or null while fewer than 16 bytes are there. */
export function messageLength(buf: Buffer): number | null {
  if (buf.length < 16) return null;
  const le = endianOf(buf);
  const bodyLength = le ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
  const fieldsLength = le ? buf.readUInt32LE(12) : buf.readUInt32BE(12);
  const total = Math.ceil((16 + fieldsLength) / 8) * 8 + bodyLength;
  if (total > MAX_MESSAGE_BYTES) throw new DbusWireError(`message of ${total} bytes is over the limit`);
  return total;
}

function endianOf(buf: Buffer): boolean {
  if (buf[0] === 0x6c) return true;
  if (buf[0] === 0x42) return false;
  throw new DbusWireError(`bad endianness byte ${buf[0]}`);
}

/** Decode one complete message (`buf` holds exactly messageLength(buf) bytes). */
export function decodeMessage(buf: Buffer): Message {
  const le = endianOf(buf);
  const r = new Reader(buf, 4, le);
  const bodyLength = r.uint32();
  const serial = r.uint32();
  const msg: Message = { type: buf[1] as MessageType, serial, signature: '', body: [] };
  const fields = r.value('a(yv)') as [number, unknown][];
  for (const [code, value] of fields) {
    if (code === FIELD.path) msg.path = value as string;
    else if (code === FIELD.interface) msg.interface = value as string;
    else if (code === FIELD.member) msg.member = value as string;
    else if (code === FIELD.errorName) msg.errorName = value as string;
    else if (code === FIELD.replySerial) msg.replySerial = value as number;
    else if (code === FIELD.destination) msg.destination = value as string;
    else if (code === FIELD.sender) msg.sender = value as string;
    else if (code === FIELD.signature) msg.signature = value as string;
  }
  const bodyStart = Math.ceil(r.pos / 8) * 8;
  if (bodyStart + bodyLength !== buf.length) throw new DbusWireError('message length does not match its header');
  const body = new Reader(buf, bodyStart, le);
  // The body is aligned relative to its own start, which is 8-aligned: positions stay valid.
  msg.body = splitSignature(msg.signature).map((t) => body.value(t));
  if (body.pos !== buf.length) throw new DbusWireError('body longer than its signature');
  return msg;
}
