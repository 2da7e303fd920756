import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DatabaseCache, OvsdbProtocolError, parseSchema, type RowChange } from '../../src/ovsdb/index.js';
import { Deferred } from '../../src/ovsdb/lazy-json.js';

const schema = parseSchema(JSON.parse(readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8')));
const LS = ['5b6f6c2a-7d8e-4a4b-9c1d-0e1f2a3b4c5d', '6b6f6c2a-7d8e-4a4b-9c1d-0e1f2a3b4c5d'];
const LSP = ['0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', '1a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d'];

function filled(): DatabaseCache {
  return new DatabaseCache(
    schema,
    new Map([
      ['Logical_Switch', ['name']],
      ['Logical_Switch_Port', ['name']],
    ]),
  );
}

describe('DatabaseCache: deferred parts (lazy-json.ts)', () => {
  it('decodes a row update whose initial, insert or modify object was left as text', async () => {
    const cache = filled();
    const text = (v: unknown) => new Deferred(JSON.stringify(v));
    await cache.apply({ Logical_Switch: text({ [LS[0]!]: { initial: text({ name: 's0' }) } }) }, true);
    await cache.apply({ Logical_Switch: { [LS[1]!]: text({ insert: text({ name: 's1' }) }) } }, false);
    await cache.apply({ Logical_Switch: { [LS[0]!]: { modify: text({ name: 's0-renamed' }) } } }, false);
    expect([...cache.table('Logical_Switch').rows()].map((r) => r.name).sort()).toEqual(['s0-renamed', 's1']);
  });
});

describe('DatabaseCache: a resync of some tables', () => {
  it('replaces only the tables it names; a named table missing from the update is empty', async () => {
    const cache = filled();
    await cache.apply(
      {
        Logical_Switch: { [LS[0]!]: { initial: { name: 's0' } }, [LS[1]!]: { initial: { name: 's1' } } },
        Logical_Switch_Port: { [LSP[0]!]: { initial: { name: 'p0' } }, [LSP[1]!]: { initial: { name: 'p1' } } },
      },
      true,
    );
    const changes: RowChange[] = [];
    cache.onChange((c) => changes.push(c));

    // One switch changed, one gone; the ports' table is not part of this resync.
    await cache.apply({ Logical_Switch: { [LS[0]!]: { initial: { name: 's0-renamed' } } } }, ['Logical_Switch']);
    expect([...cache.table('Logical_Switch').rows()].map((r) => r.name)).toEqual(['s0-renamed']);
    expect(cache.table('Logical_Switch_Port').size).toBe(2);
    expect(changes.map((c) => [c.kind, c.row.name])).toEqual([
      ['modify', 's0-renamed'],
      ['delete', 's1'],
    ]);

    changes.length = 0;
    await cache.apply({}, ['Logical_Switch_Port']);
    expect(cache.table('Logical_Switch_Port').size).toBe(0);
    expect(cache.table('Logical_Switch').size).toBe(1);
    expect(changes.map((c) => [c.table, c.kind]).sort()).toEqual([
      ['Logical_Switch_Port', 'delete'],
      ['Logical_Switch_Port', 'delete'],
    ]);
  });

  it('keeps the row it holds where the resync sends an equal one, and reports only what differs', async () => {
    const cache = filled();
    await cache.apply({ Logical_Switch: { [LS[0]!]: { initial: { name: 's0' } } } }, true);
    const held = cache.table('Logical_Switch').get(LS[0]!);
    const changes: RowChange[] = [];
    cache.onChange((c) => changes.push(c));
    await cache.apply({ Logical_Switch: { [LS[0]!]: { initial: { name: 's0' } }, [LS[1]!]: { initial: { name: 's1' } } } }, ['Logical_Switch']);
    expect(cache.table('Logical_Switch').get(LS[0]!)).toBe(held);
    expect(changes.map((c) => [c.kind, c.row.name])).toEqual([['insert', 's1']]);
  });

  it('rejects rows of a table outside the resync, naming the table', async () => {
    const cache = filled();
    await expect(cache.apply({ Logical_Switch: { [LS[0]!]: { initial: { name: 's0' } } } }, ['Logical_Switch_Port'])).rejects.toThrow(
      new OvsdbProtocolError("update: table 'Logical_Switch' is outside the resync of Logical_Switch_Port"),
    );
    await expect(cache.apply({}, ['NB_Global'])).rejects.toThrow(/resync of table 'NB_Global', which is not monitored/);
  });
});

describe('DatabaseCache: interned set columns', () => {
  it('equal sets share one array, also once a modify makes a set equal to another; other columns and rows are untouched', async () => {
    const cache = new DatabaseCache(schema, new Map([['Address_Set', ['name', 'addresses']]]), undefined, new Map([['Address_Set', ['addresses']]]));
    const set = (ips: string[]) => ['set', ips];
    await cache.apply(
      {
        Address_Set: {
          [LS[0]!]: { initial: { name: 'a', addresses: set(['10.0.0.1', '10.0.0.2']) } },
          [LS[1]!]: { initial: { name: 'b', addresses: set(['10.0.0.1', '10.0.0.2']) } },
          [LSP[0]!]: { initial: { name: 'c', addresses: set(['10.0.0.1']) } },
        },
      },
      true,
    );
    const t = cache.table('Address_Set');
    expect(t.get(LS[0]!)!['addresses']).toBe(t.get(LS[1]!)!['addresses']);
    // update2: a set's diff is the elements that flip.
    await cache.apply({ Address_Set: { [LSP[0]!]: { modify: { addresses: set(['10.0.0.2']) } } } }, false);
    expect(t.get(LSP[0]!)!['addresses']).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(t.get(LSP[0]!)!['addresses']).toBe(t.get(LS[0]!)!['addresses']);
    expect(t.get(LSP[0]!)!['name']).toBe('c');
    await cache.apply({ Address_Set: { [LS[1]!]: { modify: { addresses: set(['10.0.0.3']) } } } }, false);
    expect(t.get(LS[1]!)!['addresses']).toEqual(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    expect(t.get(LS[0]!)!['addresses']).toEqual(['10.0.0.1', '10.0.0.2']);
  });
});

describe('DatabaseCache.share', () => {
  it('a row takes the caller’s equal strings, sets and maps; uuids, interned columns and differing values stay the cache’s own', async () => {
    const cache = new DatabaseCache(
      schema,
      new Map([
        ['Logical_Switch_Port', ['name', 'addresses', 'external_ids', 'dhcpv4_options']],
        ['Address_Set', ['name', 'addresses']],
      ]),
      undefined,
      new Map([['Address_Set', ['addresses']]]),
    );
    const dhcp = LS[1]!;
    await cache.apply(
      {
        Logical_Switch_Port: {
          [LSP[0]!]: { initial: { name: 'p1', addresses: 'aa:bb:cc:dd:ee:01 10.0.0.1', external_ids: ['map', [['pod', 'ns/p1'], ['vendor', 'kube-ovn']]], dhcpv4_options: ['uuid', dhcp] } },
          [LSP[1]!]: { initial: { name: 'p2', addresses: ['set', ['b', 'a']], external_ids: ['map', [['pod', 'ns/p2']]] } },
        },
        Address_Set: { [LS[0]!]: { initial: { name: 's', addresses: ['set', ['10.0.0.1']] } } },
      },
      true,
    );
    const lsps = cache.table('Logical_Switch_Port');
    lsps.find('name', '');
    const addresses = ['aa:bb:cc:dd:ee:01 10.0.0.1'];
    const ids = { vendor: 'kube-ovn', pod: 'ns/p1' };
    const refs = [dhcp];
    expect(cache.share('Logical_Switch_Port', LSP[0]!, { name: 'p1', addresses, external_ids: ids, dhcpv4_options: refs })).toBe(3);
    const p1 = lsps.get(LSP[0]!)!;
    expect(p1['addresses']).toBe(addresses);
    expect(p1['external_ids']).toBe(ids);
    expect(p1['dhcpv4_options']).not.toBe(refs);
    expect(p1['dhcpv4_options']).toEqual(refs);

    // A set in another order, a map that differs: kept as the cache has them.
    expect(cache.share('Logical_Switch_Port', LSP[1]!, { addresses: ['b', 'a'].reverse(), external_ids: { pod: 'ns/other' } })).toBe(0);
    expect(lsps.get(LSP[1]!)!['addresses']).toEqual(['b', 'a']);
    const sets = cache.table('Address_Set');
    expect(cache.share('Address_Set', LS[0]!, { name: 's', addresses: ['10.0.0.1'] })).toBe(1);
    expect(cache.share('Logical_Switch_Port', LSP[0]!.replace('0a', 'ff'), { name: 'p1' })).toBe(0);
    expect(sets.get(LS[0]!)!['addresses']).toEqual(['10.0.0.1']);

    // The name index still finds the row by the string it holds now, and follows a later rename.
    expect(lsps.findOne('name', 'p1')).toBe(p1);
    await cache.apply({ Logical_Switch_Port: { [LSP[0]!]: { modify: { name: 'p3' } } } }, false);
    expect(lsps.find('name', 'p1')).toEqual([]);
    expect(lsps.findOne('name', 'p3')?._uuid).toBe(LSP[0]);
    expect(lsps.get(LSP[0]!)!['external_ids']).toBe(ids);
  });
});
