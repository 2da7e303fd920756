import { execFile } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, symlinkSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Node preflight: the checks that, when they fail, made ovs-ovn pods loop in
 * CrashLoopBackOff with nothing but `br-int.mgmt: connection failed` in the
 * log. Each check says what is wrong and what to do, and fatal ones carry
 * their own exit status so an operator can tell them apart from the pod's
 * exit code alone.
 */
export const ExitCode = {
  ready: 0,
  usage: 2,
  kernelModule: 10,
  kernelNatBug: 11,
  ipv6Missing: 12,
  rundirLink: 13,
  ovsdbUnreachable: 14,
  tuningFailed: 15,
  brIntTimeout: 16,
} as const;

export interface CheckResult {
  id: string;
  ok: boolean;
  /** Fatal failures stop the agent with `exitCode`; others are warnings. */
  fatal: boolean;
  exitCode: number;
  message: string;
}

export interface PreflightOptions {
  /** Filesystem root to read /proc, /sys and /lib/modules under ('/' on a node). */
  root: string;
  /** system: the kernel datapath (needs the openvswitch module); netdev: userspace. */
  datapath: 'system' | 'netdev';
  encapType: 'geneve' | 'vxlan' | 'stt';
  /** The link that must point at `rundirTarget` (Kube-OVN images use both paths). */
  rundirLink: string;
  rundirTarget: string;
  /** Loads a kernel module; injected so a node without modprobe still gets a clear message. */
  loadModule?: (name: string) => Promise<void>;
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
};

const normalize = (mod: string): string => mod.replace(/-/g, '_');

/** Where a kernel module stands: loaded, built in, installable, or absent. */
export function moduleState(root: string, release: string, name: string): 'loaded' | 'builtin' | 'available' | 'missing' {
  const want = normalize(name);
  const loaded = read(join(root, 'proc/modules')) ?? '';
  if (loaded.split('\n').some((l) => normalize(l.split(' ', 1)[0] ?? '') === want)) return 'loaded';
  const modDir = join(root, 'lib/modules', release);
  const fileMatches = (line: string): boolean => {
    const file = line.split(':', 1)[0]?.trim() ?? '';
    const base = file.slice(file.lastIndexOf('/') + 1).replace(/\.ko(\.(xz|gz|zst))?$/, '');
    return base !== '' && normalize(base) === want;
  };
  if ((read(join(modDir, 'modules.builtin')) ?? '').split('\n').some(fileMatches)) return 'builtin';
  if ((read(join(modDir, 'modules.dep')) ?? '').split('\n').some(fileMatches)) return 'available';
  return 'missing';
}

export function kernelRelease(root: string): string {
  return (read(join(root, 'proc/sys/kernel/osrelease')) ?? '').trim();
}

/** RHEL/CentOS 7.5's 3.10.0-862 kernels corrupt NATed traffic through OVS conntrack. */
export function hasNatBug(release: string): boolean {
  return /^3\.10\.0-862(\.|$)/.test(release);
}

function ipv6Enabled(root: string): boolean {
  if (read(join(root, 'sys/module/ipv6/parameters/disable'))?.trim() === '1') return false;
  return existsSync(join(root, 'proc/net/if_inet6')) || existsSync(join(root, 'proc/sys/net/ipv6'));
}

const pass = (id: string, message: string): CheckResult => ({ id, ok: true, fatal: false, exitCode: 0, message });
const fail = (id: string, exitCode: number, message: string): CheckResult => ({ id, ok: false, fatal: true, exitCode, message });
const warn = (id: string, message: string): CheckResult => ({ id, ok: false, fatal: false, exitCode: 0, message });

function checkModules(o: PreflightOptions, release: string): CheckResult[] {
  const needed = o.datapath === 'system' ? ['openvswitch', o.encapType] : [];
  const out: CheckResult[] = needed.map((m) => {
    const state = moduleState(o.root, release, m);
    return state === 'missing'
      ? fail(
          `module:${m}`,
          ExitCode.kernelModule,
          `kernel module ${m} is not available for kernel ${release || '(unknown)'}: install the kernel's modules package ` +
            `(or use --datapath netdev for the userspace datapath)`,
        )
      : pass(`module:${m}`, `kernel module ${m} is ${state}`);
  });
  if (o.datapath === 'netdev') out.push(pass('modules', 'userspace (netdev) datapath: no kernel module needed'));
  return out;
}

async function checkIpTables(o: PreflightOptions, release: string): Promise<CheckResult> {
  const state = moduleState(o.root, release, 'ip_tables');
  if (state !== 'available') return pass('module:ip_tables', `kernel module ip_tables is ${state}`);
  if (!o.loadModule) return warn('module:ip_tables', 'kernel module ip_tables is present but not loaded: run `modprobe ip_tables`');
  try {
    await o.loadModule('ip_tables');
    return pass('module:ip_tables', 'kernel module ip_tables loaded');
  } catch (err) {
    return warn('module:ip_tables', `kernel module ip_tables is present but could not be loaded: ${(err as Error).message}`);
  }
}

function checkKernel(o: PreflightOptions, release: string): CheckResult[] {
  const out: CheckResult[] = [];
  out.push(
    hasNatBug(release)
      ? fail(
          'kernel:nat-bug',
          ExitCode.kernelNatBug,
          `kernel ${release} has a conntrack NAT bug that breaks OVS load balancing and SNAT: ` +
            'upgrade to 3.10.0-898 (RHEL/CentOS 7.6) or later',
        )
      : pass('kernel:nat-bug', `kernel ${release || '(unknown)'} is not affected by the 3.10.0-862 NAT bug`),
  );
  if (release.startsWith('3.10.') && o.encapType === 'geneve') {
    out.push(
      ipv6Enabled(o.root)
        ? pass('kernel:ipv6', 'IPv6 is enabled (geneve on 3.10 kernels needs it)')
        : fail(
            'kernel:ipv6',
            ExitCode.ipv6Missing,
            `IPv6 is disabled on kernel ${release}: the geneve module of 3.10 kernels needs it; ` +
              'remove ipv6.disable=1 from the kernel command line',
          ),
    );
  }
  return out;
}

/** The link is made when absent; a different file or link there is an operator's decision, so fatal. */
function checkRundirLink(o: PreflightOptions): CheckResult {
  const id = 'rundir-link';
  let st;
  try {
    st = lstatSync(o.rundirLink);
  } catch {
    try {
      mkdirSync(dirname(o.rundirLink), { recursive: true });
      symlinkSync(o.rundirTarget, o.rundirLink);
      return pass(id, `linked ${o.rundirLink} -> ${o.rundirTarget}`);
    } catch (err) {
      return fail(id, ExitCode.rundirLink, `cannot link ${o.rundirLink} -> ${o.rundirTarget}: ${(err as Error).message}`);
    }
  }
  if (st.isSymbolicLink()) {
    const target = resolve(dirname(o.rundirLink), readlinkSync(o.rundirLink));
    if (target === resolve(o.rundirTarget)) return pass(id, `${o.rundirLink} -> ${o.rundirTarget}`);
    return fail(id, ExitCode.rundirLink, `${o.rundirLink} points to ${target}, not ${o.rundirTarget}: remove it or fix the mount`);
  }
  return fail(
    id,
    ExitCode.rundirLink,
    `${o.rundirLink} is a ${st.isDirectory() ? 'directory' : 'file'}, not a link to ${o.rundirTarget}: ` +
      'OVS tools would look for sockets in two places; remove it',
  );
}

export async function runPreflight(o: PreflightOptions): Promise<CheckResult[]> {
  const release = kernelRelease(o.root);
  return [...checkModules(o, release), await checkIpTables(o, release), ...checkKernel(o, release), checkRundirLink(o)];
}

/** The exit status for a set of results: the first fatal failure's, else ready. */
export function preflightExitCode(results: readonly CheckResult[]): number {
  return results.find((r) => !r.ok && r.fatal)?.exitCode ?? ExitCode.ready;
}

export const modprobe = (name: string): Promise<void> =>
  new Promise((resolvePromise, reject) =>
    execFile('modprobe', [name], { timeout: 10_000 }, (err, _out, stderr) =>
      err ? reject(new Error(stderr.trim() || err.message)) : resolvePromise(),
    ),
  );
