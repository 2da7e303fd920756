import { describe, expect, it } from 'vitest';
import { cliNodeEnv } from '../../src/util/paths.js';

describe('cliNodeEnv', () => {
  it('asks glibc for huge pages, keeping the rest of the environment', () => {
    expect(cliNodeEnv({ PATH: '/bin' })).toEqual({ PATH: '/bin', GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1' });
  });
  it("leaves a user's own GLIBC_TUNABLES as it is", () => {
    const env = { GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' };
    expect(cliNodeEnv(env)).toEqual({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' });
  });
});
