import { describe, expect, it } from 'vitest';
import type { DesiredRow } from '../../src/nb/desired.js';
import { DesiredUnits } from '../../src/nb/desired-units.js';
import type { Scope } from '../../src/nb/scope.js';

const port = (name: string, mac: string): DesiredRow => ({
  table: 'Logical_Switch_Port',
  key: name,
  row: { name, addresses: [`${mac} 10.0.0.5`] },
  parent: { table: 'Logical_Switch', key: 'ovn-default', column: 'ports' },
});

const group = (name: string, ports: string[]): DesiredRow => ({
  table: 'Port_Group',
  key: name,
  row: { name },
  refs: { ports: { table: 'Logical_Switch_Port', keys: ports, mode: 'exact' } },
});

const scoped = (s: Scope): string[] => [...s].flatMap(([t, keys]) => [...keys].map((k) => `${t}/${k}`)).sort();

describe('DesiredUnits', () => {
  it("holds a unit's rows, reports what a replacement changed, and forgets a removed unit's rows", () => {
    const u = new DesiredUnits();
    const a = port('vm1.ns', '00:00:00:00:00:01');
    u.replace('ns/pod-a', [a]);
    expect(u.get('Logical_Switch_Port', 'vm1.ns')).toBe(a);
    const same: Scope = new Map();
    u.replace('ns/pod-a', [port('vm1.ns', '00:00:00:00:00:01')], same);
    expect(scoped(same)).toEqual([]);
    expect(u.get('Logical_Switch_Port', 'vm1.ns')).toBe(a);
    const moved: Scope = new Map();
    u.replace('ns/pod-a', [port('vm1.ns', '00:00:00:00:00:02')], moved);
    expect(scoped(moved)).toEqual(['Logical_Switch_Port/vm1.ns']);
    const gone: Scope = new Map();
    u.replace('ns/pod-a', [], gone);
    expect(scoped(gone)).toEqual(['Logical_Switch_Port/vm1.ns']);
    expect(u.get('Logical_Switch_Port', 'vm1.ns')).toBeUndefined();
    expect(u.size).toBe(0);
    expect(u.rowsOf('ns/pod-a')).toBeUndefined();
  });

  it('merges the rows two units want under one identity, and gives each back its own when the other lets go', () => {
    const u = new DesiredUnits();
    const src = group('node.n1', ['vm1.ns']);
    const dst = group('node.n1', ['vm2.ns']);
    u.replace('node:n1', [src]);
    u.replace('node:n1-copy', [dst]);
    expect(u.get('Port_Group', 'node.n1')!.refs!['ports']!.keys).toEqual(['vm1.ns', 'vm2.ns']);
    expect(u.count('Port_Group')).toBe(1);
    // One of the two changes its row: the merge follows, the other's part stays.
    const dst2 = group('node.n1', ['vm3.ns']);
    u.replace('node:n1-copy', [dst2]);
    expect(u.get('Port_Group', 'node.n1')!.refs!['ports']!.keys).toEqual(['vm1.ns', 'vm3.ns']);
    u.replace('node:n1', []);
    expect(u.get('Port_Group', 'node.n1')).toBe(dst2);
    u.replace('node:n1-copy', []);
    expect(u.get('Port_Group', 'node.n1')).toBeUndefined();
  });

  it('records a conflict while two units want different rows, and clears it when one lets go; the first one wins meanwhile', () => {
    const u = new DesiredUnits();
    const first = port('vm1.ns', '00:00:00:00:00:01');
    u.replace('ns/launcher-a', [first]);
    u.replace('ns/launcher-b', [port('vm1.ns', '00:00:00:00:00:09')]);
    expect(u.conflicts).toEqual([{ table: 'Logical_Switch_Port', key: 'vm1.ns', reason: 'two different desired rows under one identity' }]);
    expect(u.get('Logical_Switch_Port', 'vm1.ns')!.row['addresses']).toEqual(first.row['addresses']);
    u.replace('ns/launcher-b', []);
    expect(u.conflicts).toEqual([]);
    expect(u.get('Logical_Switch_Port', 'vm1.ns')).toBe(first);
  });

  it('keeps an identity two units hand the very same row object for until both let go', () => {
    const u = new DesiredUnits();
    const shared = port('vm1.ns', '00:00:00:00:00:01');
    u.replace('ns/a', [shared]);
    u.replace('ns/b', [shared]);
    u.replace('ns/a', []);
    expect(u.get('Logical_Switch_Port', 'vm1.ns')).toBe(shared);
    u.replace('ns/b', []);
    expect(u.get('Logical_Switch_Port', 'vm1.ns')).toBeUndefined();
  });
});
