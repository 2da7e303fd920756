import { describe, expect, it } from 'vitest';
import { flat } from '../../src/util/flat-string.js';

describe('flat', () => {
  it('returns the same text, whatever it holds', () => {
    const parts = ['ip4.src == $', 'subnet-1.node-1', '_ip4', 'é\u0301', '🚀', ''];
    for (const a of parts) for (const b of parts) expect(flat(`${a}|${b}`)).toBe(`${a}|${b}`);
    expect(flat('')).toBe('');
  });
});
