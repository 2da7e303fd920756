import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyColumnDiff, columnDecoder, encodeValue, fullRowDecoder } from '../../src/ovsdb/codec.js';
import { StringPool } from '../../src/ovsdb/string-pool.js';
import { OvsdbProtocolError, parseSchema, type Atom, type ColumnSchema, type Operation, type Value } from '../../src/ovsdb/index.js';
import { useClients, useOvsdbServer } from '../support/servers.js';

const rawSchema = JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')) as {
  tables: Record<string, { columns: Record<string, { type: unknown }> }>;
};
const schema = parseSchema(rawSchema);

type Constraints = { enum?: unknown; minInteger?: number; maxInteger?: number; maxLength?: number };
function constraints(table: string, column: string, part: 'key' | 'value'): Constraints {
  const t = rawSchema.tables[table]!.columns[column]!.type;
  if (typeof t !== 'object' || t === null) return {};
  const base = (t as Record<string, unknown>)[part];
  return typeof base === 'object' && base !== null ? (base as Constraints) : {};
}

const UUIDS = ['5b6f6c2a-7d8e-4a4b-9c1d-0e1f2a3b4c5d', '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'];

/** Valid sample atoms for one base type (respecting enum, range and length constraints). */
function atoms(type: string, c: Constraints, n: number): Atom[] {
  if (Array.isArray(c.enum)) {
    const e = (c.enum[0] === 'set' ? c.enum[1] : [c.enum]) as Atom[];
    return e.slice(0, n);
  }
  switch (type) {
    case 'string':
      return ['plain', 'é😀 "q" \\ ,=;'].slice(0, n).map((s) => s.slice(0, c.maxLength ?? 100));
    case 'integer': {
      const lo = c.minInteger ?? -5;
      return [lo, Math.min(lo + 7, c.maxInteger ?? lo + 7)].slice(0, n).filter((v, i, a) => a.indexOf(v) === i);
    }
    case 'real':
      return [1.5, -2.25].slice(0, n);
    case 'boolean':
      return [true, false].slice(0, n);
    default:
      return UUIDS.slice(0, n);
  }
}

function sample(table: string, col: ColumnSchema): Value {
  const keys = atoms(col.key.type, constraints(table, col.name, 'key'), col.kind === 'scalar' ? 1 : Math.min(2, col.max));
  if (col.kind === 'scalar') return keys[0]!;
  if (col.kind === 'set') return keys;
  const values = atoms(col.value!.type, constraints(table, col.name, 'value'), 2);
  const m: Record<string, Atom> = {};
  keys.forEach((k, i) => (m[String(k)] = values[i % values.length]!));
  return m;
}

const sortSets = (row: Record<string, Value | undefined>) =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, Array.isArray(v) ? [...v].sort() : v]));

const allColumns = [...schema.tables.values()].flatMap((t) => [...t.columns.values()].map((c) => ({ table: t.name, col: c })));

describe('codec (every column of the real NB schema)', () => {
  it('round-trips native → wire → native for every column', () => {
    expect(allColumns.length).toBeGreaterThan(150);
    for (const { table, col } of allColumns) {
      const v = sample(table, col);
      const wire = encodeValue(col, v, `${table}.${col.name}`);
      expect(columnDecoder(col)(wire, `${table}.${col.name}`), `${table}.${col.name}`).toEqual(v);
      if (col.kind === 'map') expect((wire as unknown[])[0]).toBe('map');
      else if (col.kind === 'set' && (v as Atom[]).length > 1) expect((wire as unknown[])[0]).toBe('set');
      else if (col.key.type === 'uuid') expect((wire as unknown[])[0]).toBe('uuid');
    }
  });

  it('accepts the bare single-atom set form and tagged uuids; named-uuids in uuid positions', () => {
    const ports = schema.tables.get('Logical_Switch')!.columns.get('ports')!;
    expect(columnDecoder(ports)(['uuid', UUIDS[0]], 'x')).toEqual([UUIDS[0]]);
    expect(columnDecoder(ports)(['set', []], 'x')).toEqual([]);
    expect(encodeValue(ports, ['p1'], 'x')).toEqual(['named-uuid', 'p1']);
    expect(encodeValue(ports, [UUIDS[0], 'p1'], 'x')).toEqual(['set', [['uuid', UUIDS[0]], ['named-uuid', 'p1']]]);
    expect(() => encodeValue(ports, ['not a name'], 'LS.ports')).toThrow(/LS.ports: 'not a name' is neither a UUID nor a named-uuid/);
    const qos = schema.tables.get('QoS')!.columns.get('bandwidth')!;
    expect(encodeValue(qos, { rate: 100 }, 'x')).toEqual(['map', [['rate', 100]]]);
  });

  it('names the table, column and row of a wrongly typed server value', () => {
    const t = schema.tables.get('ACL')!;
    const decode = fullRowDecoder(t, ['priority', 'name']);
    expect(() => decode('u1', { priority: 'high' })).toThrow(OvsdbProtocolError);
    expect(() => decode('u1', { priority: 'high' })).toThrow(/ACL row u1 column priority: expected an integer, got "high"/);
    expect(() => decode('u1', { name: ['map', []] })).toThrow(/column name: expected a string/);
    expect(decode('u1', {})).toEqual({ _uuid: 'u1', priority: 0, name: [] });
  });

  it('decodes interned set columns through one pool: one string per distinct value, the same rows', () => {
    const t = schema.tables.get('Address_Set')!;
    const pool = new StringPool();
    const decode = fullRowDecoder(t, ['name', 'addresses'], { columns: ['addresses'], pool });
    const rows = [
      decode('u1', { name: 'a', addresses: ['set', ['10.0.0.1', '10.0.0.2']] }),
      decode('u2', { name: 'b', addresses: ['set', ['10.0.0.2', '10.0.0.3']] }),
      decode('u3', { name: 'c', addresses: '10.0.0.1' }),
      decode('u4', { name: 'd' }),
    ];
    expect(rows.map((r) => r['addresses'])).toEqual([['10.0.0.1', '10.0.0.2'], ['10.0.0.2', '10.0.0.3'], ['10.0.0.1'], []]);
    expect(pool.size).toBe(3);
    // A set equal to one decoded before is that array.
    const again = decode('u6', { name: 'e', addresses: ['set', ['10.0.0.2', '10.0.0.3']] });
    expect(again['addresses']).toBe(rows[1]!['addresses']);
    expect(decode('u7', { addresses: ['set', ['10.0.0.2', '10.0.0.4']] })['addresses']).not.toBe(rows[1]!['addresses']);
    expect(() => decode('u5', { addresses: ['set', [7]] })).toThrow(/Address_Set row u5 column addresses: expected a string/);
    // Only a monitored set of strings: a name is a scalar, a port group's ports are uuids.
    expect(() => fullRowDecoder(t, ['name'], { columns: ['name'], pool })).toThrow(/only a monitored set column of strings/);
    expect(() => fullRowDecoder(schema.tables.get('Port_Group')!, ['ports'], { columns: ['ports'], pool })).toThrow(/Port_Group column 'ports'/);
  });

  it('a string pool shares equal sets (same members, same order), bucketed by a few members and starting over past its limit of members', () => {
    const pool = new StringPool(1 << 20, 11);
    const a = ['a', 'b', 'c', 'd'];
    expect(pool.shareSet(a)).toBe(a);
    expect(pool.shareSet(['a', 'b', 'c', 'd'])).toBe(a);
    // Same length and first, middle and last members: one bucket, told apart member by member.
    const b = ['a', 'x', 'c', 'd'];
    expect(pool.shareSet(b)).toBe(b);
    expect(pool.shareSet(['a', 'x', 'c', 'd'])).toBe(b);
    expect(pool.shareSet(['a', 'b', 'c', 'd'])).toBe(a);
    const one = ['a'];
    expect(pool.shareSet(one)).toBe(one);
    const c = ['q', 'r'];
    expect(pool.shareSet(c)).toBe(c);
    expect(pool.shareSet(['q', 'r'])).toBe(c);
    // 4 + 4 + 2 members held: two more pass the limit of 11, and the pool starts over.
    const d = ['s', 't'];
    expect(pool.shareSet(d)).toBe(d);
    const a2 = ['a', 'b', 'c', 'd'];
    expect(pool.shareSet(a2)).toBe(a2);
    expect(pool.shareSet(['a', 'b', 'c', 'd'])).toBe(a2);
  });

  it('a string pool starts over at its limit, and keeps answering with equal strings', () => {
    const pool = new StringPool(4);
    for (const s of ['a', 'b', 'c', 'd']) expect(pool.intern(s)).toBe(s);
    expect(pool.size).toBe(4);
    expect(pool.intern('e')).toBe('e');
    expect(pool.size).toBe(1);
    expect(pool.intern('a')).toBe('a');
  });

  it('applies update2 diffs: set symmetric difference, map add/replace/remove, scalar replace', () => {
    const ls = schema.tables.get('Logical_Switch')!;
    const ports = ls.columns.get('ports')!;
    expect(applyColumnDiff(ports, [UUIDS[0]], ['set', [['uuid', UUIDS[0]], ['uuid', UUIDS[1]]]], 'x')).toEqual([UUIDS[1]]);
    const ext = ls.columns.get('external_ids')!;
    expect(applyColumnDiff(ext, { a: '1', b: '2' }, ['map', [['a', '1'], ['b', '3'], ['c', '4']]], 'x')).toEqual({ b: '3', c: '4' });
    expect(applyColumnDiff(ls.columns.get('name')!, 'old', 'new', 'x')).toBe('new');
  });

  it('a set diff toggles each element it names, an odd number of times removes or adds it (property)', () => {
    const set = schema.tables.get('Address_Set')!.columns.get('addresses')!;
    const atom = fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f');
    fc.assert(
      fc.property(fc.uniqueArray(atom), fc.array(atom), (prev, diff) => {
        const want = new Set(prev);
        for (const a of diff) {
          if (want.has(a)) want.delete(a);
          else want.add(a);
        }
        expect((applyColumnDiff(set, prev, ['set', diff], 'x') as string[]).sort()).toEqual([...want].sort());
      }),
    );
  });

  it('a large set takes diffs through its member index, carried from value to value, as a toggle would (property)', () => {
    const policies = schema.tables.get('Logical_Router')!.columns.get('policies')!;
    const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    const start = Array.from({ length: 4200 }, (_, i) => uuid(i));
    // Diffs name members and non-members, sometimes twice.
    const diff = fc.array(fc.integer({ min: 4150, max: 4250 }).map(uuid), { maxLength: 12 });
    fc.assert(
      fc.property(fc.array(diff, { maxLength: 8 }), (diffs) => {
        let value: string[] = start;
        const want = new Set(start);
        for (const d of diffs) {
          for (const a of d) {
            if (want.has(a)) want.delete(a);
            else want.add(a);
          }
          value = applyColumnDiff(policies, value, ['set', d.map((u) => ['uuid', u])], 'x') as string[];
          expect(value.length).toBe(want.size);
          expect(new Set(value)).toEqual(want);
        }
        expect(start.length).toBe(4200);
      }),
      { numRuns: 60 },
    );
  });
});

const server = useOvsdbServer();
const open = useClients();

describe('codec against the real server (every NB table, every non-reference column)', () => {
  it('writes every column type and reads the same native values back', async () => {
    const c = await open({ remotes: server().remote, database: 'OVN_Northbound' });
    let checked = 0;
    for (const t of schema.tables.values()) {
      const cols = [...t.columns.values()].filter((col) => col.key.type !== 'uuid' && col.value?.type !== 'uuid');
      if ([...t.columns.values()].some((col) => col.key.type === 'uuid' && col.min > 0)) continue;
      const row: Record<string, Value> = {};
      for (const col of cols) row[col.name] = sample(t.name, col);
      // Non-root rows are garbage-collected at commit: read them back inside the same transaction.
      const ops: Operation[] = [
        { op: 'insert', table: t.name, uuidName: 'r', row },
        { op: 'select', table: t.name, where: [['_uuid', '==', 'r']], columns: cols.map((col) => col.name) },
      ];
      const [, sel] = await c.transact(ops);
      // Sets are unordered: the server returns them sorted.
      expect(sel!.rows!.map(sortSets), t.name).toEqual([sortSets(row)]);
      checked += cols.length;
    }
    expect(checked).toBeGreaterThan(150);
  });
});
