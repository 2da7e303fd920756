import { describe, expect, it } from 'vitest';
import { objectTemplate } from '../../src/util/object-template.js';

describe('objectTemplate', () => {
  it('gives every key, in order, set to null; each spread copy is its own object', () => {
    const t = objectTemplate(['_uuid', 'name', 'external_ids', '0', '__proto__']);
    expect(Object.keys(t)).toEqual(['0', '_uuid', 'name', 'external_ids', '__proto__']);
    const a: Record<string, unknown> = { ...t };
    const b: Record<string, unknown> = { ...t };
    a['name'] = 'x';
    b['external_ids'] = { vendor: 'kube-ovn' };
    expect(a).toStrictEqual({ 0: null, _uuid: null, name: 'x', external_ids: null, ['__proto__']: null });
    expect(b['name']).toBeNull();
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(t['name']).toBeNull();
  });
});
