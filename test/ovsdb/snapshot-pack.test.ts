import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { packSnapshot, unpackSnapshot, type CacheSnapshot, type PackedSnapshot } from '../../src/ovsdb/index.js';

const U = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

const snap: CacheSnapshot = {
  database: 'OVN_Northbound',
  schema: { version: '7.0.0', cksum: '1 2' },
  tables: {
    Logical_Switch_Port: {
      columns: ['name', 'addresses', 'options', 'tag', 'enabled', 'port_security'],
      lastTxnId: U(99),
      rows: [
        { _uuid: U(1), name: 'p1', addresses: ['00:00:00:00:00:01 10.0.0.1'], options: { requested_chassis: 'n1' }, tag: [], enabled: [true], port_security: [] },
        { _uuid: U(2), name: 'p2', addresses: [], options: {}, tag: [7], enabled: [], port_security: ['x'] },
      ],
    },
    Address_Set: {
      columns: ['name', 'addresses'],
      lastTxnId: U(99),
      rows: [
        { _uuid: U(3), name: 'as1', addresses: ['10.0.0.1', '10.0.0.2'] },
        { _uuid: U(4), name: 'as2', addresses: ['10.0.0.2'] },
      ],
    },
    Logical_Router: { columns: ['name'], lastTxnId: U(98), rows: [] },
  },
};

describe('packed cache snapshots', () => {
  it('unpack what was packed, through v8 serialization, for every kind of column', () => {
    const packed = deserialize(serialize(packSnapshot(snap))) as PackedSnapshot;
    expect(unpackSnapshot(packed)).toEqual(snap);
    // Each distinct string once: the address 10.0.0.2 and the shared values are stored a single time.
    expect(packed.strings.ends.length).toBeLessThan(20);
    expect(packed.tables['Logical_Switch_Port']!.rows.data['tag']!.kind).toBe('values');
    expect(packed.tables['Address_Set']!.rows.data['addresses']!.kind).toBe('stringSet');
    expect(packed.tables['Logical_Switch_Port']!.rows.data['options']!.kind).toBe('stringMap');
  });

  it('refuses a packed snapshot that does not hold together, naming the column', () => {
    const packed = packSnapshot(snap);
    const col = packed.tables['Address_Set']!.rows.data['addresses']!;
    if (col.kind !== 'stringSet') throw new Error('expected a string set');
    col.ids[0] = 10_000;
    expect(() => unpackSnapshot(packed)).toThrow(/index 10000 out of range/);
    col.ids[0] = 0;
    col.lengths[1] = 99;
    expect(() => unpackSnapshot(packed)).toThrow(/column Address_Set.addresses does not match its 2 objects/);
    col.lengths[1] = 1;
    delete packed.tables['Logical_Switch_Port']!.rows.data['name'];
    expect(() => unpackSnapshot(packed)).toThrow(/column Logical_Switch_Port.name is missing/);
  });
});
