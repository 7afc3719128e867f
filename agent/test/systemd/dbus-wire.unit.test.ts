import { describe, expect, it } from 'vitest';
import { DbusWireError, decodeMessage, encodeMethodCall, messageLength, MessageType, splitSignature } from '../../src/systemd/dbus/wire.js';
import { socketPathOf } from '../../src/systemd/dbus/connection.js';

/** A little-endian message body writer for the tests: exactly the layout the specification gives. */
class Body {
  bytes: number[] = [];
  pad(n: number) {
    while (this.bytes.length % n) this.bytes.push(0);
    return this;
  }
  u32(v: number) {
    this.pad(4);
    this.bytes.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    return this;
  }
  u64(v: bigint) {
    this.pad(8);
    for (let i = 0n; i < 8n; i++) this.bytes.push(Number((v >> (8n * i)) & 0xffn));
    return this;
  }
  str(s: string) {
    this.u32(Buffer.byteLength(s));
    this.bytes.push(...Buffer.from(s), 0);
    return this;
  }
  sig(s: string) {
    this.bytes.push(s.length, ...Buffer.from(s), 0);
    return this;
  }
}

/** A whole signal message around `body`, with a header built by hand. */
function signal(path: string, signature: string, body: number[], serial = 7): Buffer {
  const h = new Body();
  h.bytes.push(0x6c, MessageType.Signal, 1, 1);
  h.u32(body.length).u32(serial);
  const fields = new Body();
  fields.bytes = new Array(16).fill(0); // positions relative to the message start
  const field = (code: number, t: string, write: (b: Body) => void) => {
    fields.pad(8);
    fields.bytes.push(code);
    fields.sig(t);
    write(fields);
  };
  field(1, 'o', (b) => b.str(path));
  field(2, 's', (b) => b.str('org.freedesktop.DBus.Properties'));
  field(3, 's', (b) => b.str('PropertiesChanged'));
  field(8, 'g', (b) => b.sig(signature));
  const fieldBytes = fields.bytes.slice(16);
  h.u32(fieldBytes.length);
  const all = new Body();
  all.bytes = [...h.bytes, ...fieldBytes];
  all.pad(8);
  return Buffer.from([...all.bytes, ...body]);
}

describe('D-Bus wire format', () => {
  it('encodes a method call exactly as the specification lays it out', () => {
    const buf = encodeMethodCall({ serial: 3, destination: 'org.freedesktop.systemd1', path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager', member: 'LoadUnit', args: ['web.service'] });
    expect([...buf.subarray(0, 4)]).toEqual([0x6c, 1, 0, 1]);
    expect(buf.readUInt32LE(4)).toBe(4 + 11 + 1); // body: uint32 length, "web.service", NUL
    expect(buf.readUInt32LE(8)).toBe(3);
    expect(messageLength(buf)).toBe(buf.length);
    const back = decodeMessage(buf);
    expect(back).toEqual({
      type: MessageType.MethodCall, serial: 3, path: '/org/freedesktop/systemd1', interface: 'org.freedesktop.systemd1.Manager',
      member: 'LoadUnit', destination: 'org.freedesktop.systemd1', signature: 's', body: ['web.service'],
    });
    // The body starts 8-aligned right after the padded header.
    expect(buf.subarray(buf.length - 16).toString('latin1')).toBe('\x0b\x00\x00\x00web.service\x00');
  });

  it('encodes a call without arguments with no signature field and an empty body', () => {
    const buf = encodeMethodCall({ serial: 1, destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' });
    expect(buf.readUInt32LE(4)).toBe(0);
    expect(buf.length % 8).toBe(0);
    expect(decodeMessage(buf)).toMatchObject({ member: 'Hello', signature: '', body: [] });
  });

  it('decodes a PropertiesChanged signal: variants to values, dicts to objects, uint64 to bigint', () => {
    const b = new Body();
    b.str('org.freedesktop.systemd1.Service');
    const dict = new Body();
    const start = b.bytes.length + 4; // dict entries start 8-aligned after the array length
    dict.bytes = new Array(start + ((8 - (start % 8)) % 8)).fill(0);
    const entry = (name: string, write: (x: Body) => void) => {
      dict.pad(8);
      dict.str(name);
      write(dict);
    };
    entry('MainPID', (x) => x.sig('u').u32(0));
    entry('Result', (x) => x.sig('s').str('signal'));
    entry('ExecMainStatus', (x) => x.sig('i').u32(9));
    entry('NRestarts', (x) => x.sig('u').u32(4));
    entry('MemoryCurrent', (x) => x.sig('t').u64(18446744073709551615n));
    entry('Triggers', (x) => x.sig('as').u32(0));
    entry('Pair', (x) => x.sig('(sb)').pad(8).str('x').u32(1));
    const entries = dict.bytes.slice(start + ((8 - (start % 8)) % 8));
    b.u32(entries.length).pad(8);
    b.bytes.push(...entries);
    b.u32(Buffer.byteLength('InvocationID') + 5).str('InvocationID'); // invalidated: as

    const msg = decodeMessage(signal('/org/freedesktop/systemd1/unit/web_2eservice', 'sa{sv}as', b.bytes));
    expect(msg).toMatchObject({ type: MessageType.Signal, serial: 7, member: 'PropertiesChanged', path: '/org/freedesktop/systemd1/unit/web_2eservice' });
    expect(msg.body).toEqual([
      'org.freedesktop.systemd1.Service',
      { MainPID: 0, Result: 'signal', ExecMainStatus: 9, NRestarts: 4, MemoryCurrent: 18446744073709551615n, Triggers: [], Pair: ['x', true] },
      ['InvocationID'],
    ]);
  });

  it('waits for a whole message and refuses malformed ones with a coded error', () => {
    const buf = encodeMethodCall({ serial: 9, destination: 'd.e', path: '/p', interface: 'i.f', member: 'M', args: ['a'] });
    expect(messageLength(buf.subarray(0, 15))).toBeNull();
    expect(() => decodeMessage(buf.subarray(0, buf.length - 1))).toThrow(DbusWireError);
    const bad = Buffer.from(buf);
    bad[0] = 0x58;
    expect(() => messageLength(bad)).toThrow(/endianness/);
    expect(() => splitSignature('a{sv')).toThrow(DbusWireError);
    expect(() => splitSignature('z')).toThrow(/unknown type/);
    expect(splitSignature('sa{sv}as(ib)v')).toEqual(['s', 'a{sv}', 'as', '(ib)', 'v']);
  });

  it('finds the unix socket in a bus address', () => {
    expect(socketPathOf('unix:path=/run/dbus/system_bus_socket')).toBe('/run/dbus/system_bus_socket');
    expect(socketPathOf('tcp:host=x,port=1;unix:abstract=/tmp/dbus-x,guid=1')).toBe('\0/tmp/dbus-x');
    expect(() => socketPathOf('tcp:host=localhost,port=1')).toThrow(/no unix socket/);
  });
});
