import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TableCache } from '../../src/ovsdb/table-cache.js';
import type { Row } from '../../src/ovsdb/types.js';

describe('TableCache secondary indexes', () => {
  it('answer as a scan of the rows does, through inserts, modifies (changed and untouched columns) and deletes (property)', () => {
    const uuid = fc.constantFrom('r1', 'r2', 'r3');
    const port = fc.constantFrom('p1', 'p2', 'p3', 'p4');
    const op = fc.oneof(
      fc.record({ t: fc.constant('set' as const), uuid, name: fc.constantFrom('a', 'b'), ports: fc.uniqueArray(port), keepPorts: fc.boolean() }),
      fc.record({ t: fc.constant('delete' as const), uuid }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const c = new TableCache('Logical_Switch', ['name', 'ports']);
        // Indexes exist before the changes: they are maintained, not rebuilt.
        c.find('ports', 'p1');
        c.find('name', 'a');
        for (const o of ops) {
          if (o.t === 'delete') {
            c.delete(o.uuid);
            continue;
          }
          const old = c.get(o.uuid);
          // A modify that leaves ports alone hands over the same array, as the update path does.
          const ports = o.keepPorts && old ? old['ports'] : o.ports;
          c.set({ _uuid: o.uuid, name: o.name, ports } as Row);
        }
        const rows = [...c.rows()];
        const ids = (l: Row[]) => l.map((r) => r._uuid).sort();
        for (const p of ['p1', 'p2', 'p3', 'p4']) expect(ids(c.find('ports', p))).toEqual(ids(rows.filter((r) => (r['ports'] as string[]).includes(p))));
        for (const n of ['a', 'b']) expect(ids(c.find('name', n))).toEqual(ids(rows.filter((r) => r['name'] === n)));
      }),
    );
  });
});
