import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { packObjects, StringTable, unpackObjects, unpackStrings, type PackedObjects, type PackedStrings } from '../../src/util/columnar.js';

describe('columnar packing of records', () => {
  it("keeps each object's keys in order: a key some objects lack stays absent on them", () => {
    const every = [
      { a: 'x', b: 1, c: ['y'], d: { k: 'v' } },
      { a: 'z', b: 2, c: [], d: {} },
    ];
    const some = [
      { a: 'x', b: 1 },
      { a: 'z', c: 3 },
    ];
    for (const objects of [every, some]) {
      const strings = new StringTable();
      const packed = packObjects(objects, strings);
      const out = unpackObjects(packed, unpackStrings(strings.packed()), 't');
      expect(out).toStrictEqual(objects);
      expect(out.map((o) => Object.keys(o))).toEqual(objects.map((o) => Object.keys(o)));
    }
  });

  it('round-trips records with optional fields, label maps, string lists and nested objects, each distinct string once', () => {
    const pods = Array.from({ length: 50 }, (_, i) => ({
      uid: `uid-${i}`,
      name: `pod-${i}`,
      namespace: `ns-${i % 3}`,
      labels: { app: `app-${i % 5}`, tier: 'web' },
      podIPs: i % 2 ? [`10.0.0.${i}`] : [],
      ports: [{ containerPort: 80, protocol: 'TCP' }],
      deleting: i === 7,
      ...(i % 10 === 0 ? { selector: { a: 'b' } } : {}),
    }));
    const strings = new StringTable();
    const packed = packObjects(pods, strings);
    const file = deserialize(serialize({ strings: strings.packed(), packed })) as { strings: PackedStrings; packed: PackedObjects };
    expect(unpackObjects(file.packed, unpackStrings(file.strings), 'pods')).toEqual(pods);
    expect(file.packed.data['namespace']!.kind).toBe('string');
    expect(file.packed.data['labels']!.kind).toBe('stringMap');
    expect(file.packed.data['ports']!.kind).toBe('objectList');
    // 50 uids, 50 names, 3 namespaces, 25 addresses, label keys and values, the ports' protocol: one string each (the optional selector is kept value by value).
    expect(file.strings.ends.length).toBe(50 + 50 + 3 + 25 + 2 + 5 + 1 + 1);
  });

  it('gives back every string exactly, short or long, one-byte or not (latin1 accents, CJK, emoji, a lone surrogate)', () => {
    const values = [
      'a',
      'twelve chars',
      'thirteen char',
      'ca\u00e9f\u00e9-\u00ff-annotation-value',
      'node-\u4e2d\u6587-name-long',
      'label \ud83d\ude00 value',
      'lone \ud800 surrogate here',
      '',
    ];
    for (const oneByteOnly of [true, false]) {
      const strings = new StringTable();
      const wanted = oneByteOnly ? values.filter((v) => !/[^\u0000-\u00ff]/.test(v)) : values;
      const ids = wanted.map((v) => strings.id(v));
      const str = unpackStrings(strings.packed());
      expect(ids.map(str)).toStrictEqual(wanted);
    }
  });

  it('unpacks equal sets and maps of a column once, frozen, and a column of distinct ones value by value', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({
      acls: i % 3 === 0 ? [`acl-${i % 7}`] : [],
      ids: { owner: `o-${i % 5}` },
      addresses: [`10.0.${i >> 8}.${i & 255}`],
    }));
    const strings = new StringTable();
    const out = unpackObjects(packObjects(rows, strings), unpackStrings(strings.packed()), 't') as typeof rows;
    expect(out).toStrictEqual(rows);
    expect(out[1]!.acls).toBe(out[2]!.acls);
    expect(out[0]!.acls).toBe(out[21]!.acls);
    expect(out[0]!.acls).not.toBe(out[3]!.acls);
    expect(out[0]!.ids).toBe(out[5]!.ids);
    expect(Object.isFrozen(out[0]!.ids)).toBe(true);
    expect(new Set(out.map((o) => o.ids)).size).toBe(5);
    expect(out[2999]!.addresses).toEqual(['10.0.11.183']);
  });

  it('packs lists of objects as objects of their own: optional strings once each, exact lists, a shared list shared again', () => {
    const ports = Object.freeze([{ containerPort: 80, protocol: 'TCP' }]);
    const slices = Array.from({ length: 40 }, (_, i) => ({
      name: `svc-${i}`,
      endpoints: Array.from({ length: i % 4 }, (_, k) => ({
        addresses: [`10.1.${i}.${k}`],
        ready: k !== 1,
        ...(k !== 2 ? { nodeName: `node-${k}` } : {}),
        ...(k === 0 ? { targetPod: `pod-${i}` } : {}),
      })),
      ports,
    }));
    const strings = new StringTable();
    const packed = packObjects(slices, strings);
    const file = deserialize(serialize({ strings: strings.packed(), packed })) as { strings: PackedStrings; packed: PackedObjects };
    const out = unpackObjects(file.packed, unpackStrings(file.strings), 'endpointslices') as typeof slices;
    expect(out).toEqual(slices);
    const endpoints = file.packed.data['endpoints']!;
    expect(endpoints.kind).toBe('objectList');
    if (endpoints.kind !== 'objectList') return;
    expect(endpoints.items.data['nodeName']!.kind).toBe('string');
    expect(endpoints.items.data['targetPod']!.kind).toBe('string');
    expect(endpoints.items.data['addresses']!.kind).toBe('stringSet');
    expect(out.flatMap((s) => s.endpoints).filter((e) => e.nodeName === undefined).every((e) => !('nodeName' in e))).toBe(true);
    expect(out[5]!.endpoints[0]!.nodeName).toBe(out[9]!.endpoints[0]!.nodeName);
    expect(out[0]!.ports).toBe(out[39]!.ports);
    expect(out[3]!.endpoints).toHaveLength(3);
  });

  it('an empty list packs and unpacks to an empty list', () => {
    const strings = new StringTable();
    expect(unpackObjects(packObjects([], strings), unpackStrings(strings.packed()), 'none')).toEqual([]);
  });
});
