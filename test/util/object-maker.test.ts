import { describe, expect, it } from 'vitest';
import { objectMaker } from '../../src/util/object-maker.js';

describe('objectMaker', () => {
  it('makes plain objects with every key, in order, set to null; each its own object', () => {
    const make = objectMaker(['_uuid', 'name', 'external_ids', '0', '__proto__']);
    const a = make();
    const b = make();
    expect(Object.keys(a)).toEqual(['0', '_uuid', 'name', 'external_ids', '__proto__']);
    a['name'] = 'x';
    b['external_ids'] = { vendor: 'kube-ovn' };
    expect(a).toStrictEqual({ 0: null, _uuid: null, name: 'x', external_ids: null, ['__proto__']: null });
    expect(b['name']).toBeNull();
    expect(Object.getPrototypeOf(a)).toBe(Object.prototype);
    expect(a.constructor).toBe(Object);
    expect(JSON.stringify(make())).toBe('{"0":null,"_uuid":null,"name":null,"external_ids":null,"__proto__":null}');
  });
});
