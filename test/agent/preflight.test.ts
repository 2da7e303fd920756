import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, hasNatBug, moduleState, preflightExitCode, runPreflight, type PreflightOptions } from '../../src/agent/preflight.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A node's /proc, /sys and /lib/modules as files in a temp dir. */
function fakeRoot(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ovnscale-preflight-'));
  dirs.push(root);
  for (const [path, body] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), body);
  }
  return root;
}

const opts = (root: string, over: Partial<PreflightOptions> = {}): PreflightOptions => ({
  root,
  datapath: 'system',
  encapType: 'geneve',
  rundirLink: join(root, 'usr/local/var/run/openvswitch'),
  rundirTarget: join(root, 'var/run/openvswitch'),
  ...over,
});

const healthy = {
  'proc/sys/kernel/osrelease': '5.15.0-91-generic\n',
  'proc/modules': 'openvswitch 176128 2 - Live 0x0000000000000000\nip_tables 32768 0 - Live 0x0\n',
  'lib/modules/5.15.0-91-generic/modules.dep': 'kernel/net/ipv4/netfilter/ip_tables.ko: \nkernel/drivers/net/geneve.ko.zst: kernel/net/ipv4/udp_tunnel.ko\n',
  'lib/modules/5.15.0-91-generic/modules.builtin': '',
};

describe('preflight', () => {
  it('passes on a healthy node and creates the run-dir link', async () => {
    const root = fakeRoot(healthy);
    const results = await runPreflight(opts(root));
    expect(results.filter((r) => !r.ok)).toEqual([]);
    expect(results.find((r) => r.id === 'rundir-link')?.message).toMatch(/^linked /);
    expect(preflightExitCode(await runPreflight(opts(root)))).toBe(ExitCode.ready);
  });

  it('finds modules loaded, built in, installable (with - and _ spellings), or missing', () => {
    const root = fakeRoot({
      ...healthy,
      'lib/modules/5.15.0-91-generic/modules.builtin': 'kernel/net/ipv6/ipv6.ko\n',
    });
    expect(moduleState(root, '5.15.0-91-generic', 'openvswitch')).toBe('loaded');
    expect(moduleState(root, '5.15.0-91-generic', 'ipv6')).toBe('builtin');
    expect(moduleState(root, '5.15.0-91-generic', 'geneve')).toBe('available');
    expect(moduleState(root, '5.15.0-91-generic', 'ip-tables')).toBe('loaded');
    expect(moduleState(root, '5.15.0-91-generic', 'vxlan')).toBe('missing');
  });

  it('refuses a missing openvswitch module with its own exit status, unless the datapath is userspace', async () => {
    const root = fakeRoot({ ...healthy, 'proc/modules': '' , 'lib/modules/5.15.0-91-generic/modules.dep': '' });
    const results = await runPreflight(opts(root));
    const bad = results.find((r) => r.id === 'module:openvswitch');
    expect(bad?.message).toMatch(/openvswitch is not available for kernel 5\.15\.0-91-generic/);
    expect(preflightExitCode(results)).toBe(ExitCode.kernelModule);
    expect(preflightExitCode(await runPreflight(opts(root, { datapath: 'netdev' })))).toBe(ExitCode.ready);
  });

  it('refuses the 3.10.0-862 NAT bug naming the version to upgrade to', async () => {
    expect(hasNatBug('3.10.0-862.el7.x86_64')).toBe(true);
    expect(hasNatBug('3.10.0-862')).toBe(true);
    expect(hasNatBug('3.10.0-8621.el7')).toBe(false);
    expect(hasNatBug('3.10.0-957.el7.x86_64')).toBe(false);
    const root = fakeRoot({ ...healthy, 'proc/sys/kernel/osrelease': '3.10.0-862.el7.x86_64', 'proc/net/if_inet6': '' });
    const results = await runPreflight(opts(root, { datapath: 'netdev' }));
    expect(results.find((r) => r.id === 'kernel:nat-bug')?.message).toMatch(/3\.10\.0-898/);
    expect(preflightExitCode(results)).toBe(ExitCode.kernelNatBug);
  });

  it('requires IPv6 for geneve on 3.10 kernels', async () => {
    const root = fakeRoot({ ...healthy, 'proc/sys/kernel/osrelease': '3.10.0-1160.el7.x86_64', 'sys/module/ipv6/parameters/disable': '1\n' });
    const results = await runPreflight(opts(root, { datapath: 'netdev' }));
    expect(results.find((r) => r.id === 'kernel:ipv6')?.message).toMatch(/ipv6\.disable=1/);
    expect(preflightExitCode(results)).toBe(ExitCode.ipv6Missing);
    expect(preflightExitCode(await runPreflight(opts(root, { datapath: 'netdev', encapType: 'vxlan' })))).toBe(ExitCode.ready);
  });

  it('refuses a run-dir link that points elsewhere or is a directory', async () => {
    const root = fakeRoot(healthy);
    const o = opts(root, { datapath: 'netdev' });
    mkdirSync(dirname(o.rundirLink), { recursive: true });
    symlinkSync('/somewhere/else', o.rundirLink);
    const results = await runPreflight(o);
    expect(results.find((r) => r.id === 'rundir-link')?.message).toMatch(/points to \/somewhere\/else/);
    expect(preflightExitCode(results)).toBe(ExitCode.rundirLink);
    rmSync(o.rundirLink);
    mkdirSync(o.rundirLink);
    expect((await runPreflight(o)).find((r) => r.id === 'rundir-link')?.message).toMatch(/is a directory/);
  });

  it('loads ip_tables when present but not loaded, and only warns when it cannot', async () => {
    const root = fakeRoot({ ...healthy, 'proc/modules': 'openvswitch 1 0 - Live 0x0\n' });
    const loaded: string[] = [];
    const ok = await runPreflight(opts(root, { loadModule: async (m) => void loaded.push(m) }));
    expect(loaded).toEqual(['ip_tables']);
    expect(ok.find((r) => r.id === 'module:ip_tables')?.ok).toBe(true);
    const results = await runPreflight(
      opts(root, {
        loadModule: async () => {
          throw new Error('modprobe: not found');
        },
      }),
    );
    const r = results.find((x) => x.id === 'module:ip_tables');
    expect(r).toMatchObject({ ok: false, fatal: false });
    expect(r?.message).toMatch(/modprobe: not found/);
    expect(preflightExitCode(results)).toBe(ExitCode.ready);
  });
});
