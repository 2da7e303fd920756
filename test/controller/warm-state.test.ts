import { describe, expect, it } from 'vitest';
import { DEFAULT_OPTIONS } from '../../src/controller/options.js';
import { optionsFingerprint } from '../../src/controller/warm-state.js';

describe('optionsFingerprint', () => {
  it('changes with an option the desired rows depend on, not with the heap target', () => {
    const base = optionsFingerprint(DEFAULT_OPTIONS);
    expect(optionsFingerprint({ ...DEFAULT_OPTIONS, heapTargetMb: 1000 })).toBe(base);
    expect(optionsFingerprint({ ...DEFAULT_OPTIONS, vendor: 'other' })).not.toBe(base);
  });
});
