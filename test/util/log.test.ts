import { describe, expect, it } from 'vitest';
import { createLogger, parseLevel } from '../../src/util/log.js';

describe('logger', () => {
  it('writes one JSON object per line with bound keys and filters by level', () => {
    const lines: string[] = [];
    const log = createLogger({ level: 'info', write: (l) => lines.push(l) }).child({ component: 'nb' });
    log.debug('hidden');
    log.warn('bad row', { table: 'ACL', err: new Error('boom') });
    expect(lines).toHaveLength(1);
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 'warn', msg: 'bad row', component: 'nb', table: 'ACL' });
    expect((rec.err as { message: string }).message).toBe('boom');
    expect(lines[0]!.endsWith('\n')).toBe(true);
  });

  it('rejects an unknown level naming the flag', () => {
    expect(() => parseLevel('loud')).toThrow(/--log-level/);
  });
});
