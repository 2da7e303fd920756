/**
 * applyOperations against a real NB: transactions pipelined in plan order,
 * the first failure stops what is not yet sent and is thrown once the
 * transactions in flight have settled, the leader fence holds, and the
 * server is asked once whether it takes client-chosen row uuids.
 */
import { describe, expect, it } from 'vitest';
import { applyOperations, connectNb, NotLeaderError, rowUuidsSupported } from '../../src/controller/nb-writer.js';
import type { Operation } from '../../src/ovsdb/index.js';
import { createLogger } from '../../src/util/log.js';
import { useOvsdbServer } from '../support/servers.js';

const server = useOvsdbServer();
const group = (name: string): Operation => ({ op: 'insert', table: 'Port_Group', row: { name, external_ids: { vendor: 'kube-ovn' } } });
const names = (nb: Awaited<ReturnType<typeof connectNb>>) => [...nb.cache.table('Port_Group').rows()].map((r) => r['name']).sort();

describe('applyOperations', () => {
  it('pipelines chunks in plan order; every insert is cached by its reply', async () => {
    const nb = await connectNb(server().remote, createLogger({ level: 'error' }));
    try {
      const ops = Array.from({ length: 40 }, (_, i) => group(`pipe-${String(i).padStart(2, '0')}`));
      // A later chunk deletes a row an earlier chunk inserted: only plan order makes this succeed.
      ops.push({ op: 'delete', table: 'Port_Group', where: [['name', '==', 'pipe-00']] });
      const transact = nb.transact.bind(nb);
      let live = 0;
      let peak = 0;
      nb.transact = async (chunk, o) => {
        peak = Math.max(peak, ++live);
        try {
          return await transact(chunk, o);
        } finally {
          live--;
        }
      };
      const applied = await applyOperations(nb, ops, { maxOps: 3, inFlight: 4 });
      expect(peak).toBe(4);
      expect(applied.transactions).toBe(14);
      // Each reply came after its update: nothing left to wait for.
      expect(applied.unseen).toEqual([]);
      expect(names(nb).filter((n) => String(n).startsWith('pipe-'))).toHaveLength(39);
      // The cached rows hold the values they were written with (one copy): the plan's, not the decoded update's.
      const row = [...nb.cache.table('Port_Group').rows()].find((r) => r['name'] === 'pipe-01')!;
      expect(row['external_ids']).toBe((ops[1] as Extract<Operation, { op: 'insert' }>).row['external_ids']);
    } finally {
      await nb.close();
    }
  });

  it('after a failed transaction sends nothing more and throws its error; the leader fence stops writes', async () => {
    const nb = await connectNb(server().remote, createLogger({ level: 'error' }));
    try {
      await applyOperations(nb, [group('dup')], { maxOps: 1 });
      // Port_Group names are unique: the second chunk fails; with one in flight, the third is never sent.
      await expect(applyOperations(nb, [group('fail-a'), group('dup'), group('fail-c')], { maxOps: 1, inFlight: 1 })).rejects.toThrow(/constraint violation|duplicate/i);
      expect(names(nb)).toContain('fail-a');
      expect(names(nb)).not.toContain('fail-c');

      let writes = 0;
      const fence = () => writes++ < 2;
      await expect(applyOperations(nb, [group('lead-a'), group('lead-b'), group('lead-c')], { maxOps: 1, isLeader: fence })).rejects.toBeInstanceOf(NotLeaderError);
      expect(names(nb).filter((n) => String(n).startsWith('lead-'))).toEqual(['lead-a', 'lead-b']);
    } finally {
      await nb.close();
    }
  });

  it('asks the server once whether it takes client-chosen row uuids, writing nothing', async () => {
    const nb = await connectNb(server().remote, createLogger({ level: 'error' }));
    try {
      const transact = nb.transact.bind(nb);
      let asked = 0;
      nb.transact = (ops, o) => {
        asked++;
        return transact(ops, o);
      };
      expect(await rowUuidsSupported(nb)).toBe(true);
      expect(await rowUuidsSupported(nb)).toBe(true);
      expect(asked).toBe(1);
      expect(nb.cache.table('Address_Set').size).toBe(0);
    } finally {
      await nb.close();
    }
  });
});
