/**
 * `ovnscale bench k8s-list`: initial sync of N pods from `ovnscale sim`
 * (a child process, so its CPU is counted apart), side by side:
 *   reflector – our Reflector: pages of 500 through client-node's HTTP stack, trimmed to records;
 *   typed     – client-node's typed CoreV1Api.listPodForAllNamespaces, paged the same way
 *               (what its informer's list function would do), kept as V1Pod models.
 * The reflector goes first (the simulator is coldest then).
 * Then watch throughput: M label patches written to the simulator, timed until
 * the reflector has applied them all.
 */
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CoreV1Api } from '@kubernetes/client-node';
import { KubeApi, loadKubeConfig, Pods, Reflector } from '../k8s/index.js';
import { cliPath } from '../util/paths.js';
import { collectGarbage } from '../util/gc.js';
import { intFlag, parseFlags } from './flags.js';
import type { CommandModule } from './commands.js';

const heapMB = (): number => {
  collectGarbage();
  collectGarbage();
  return +(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1);
};

/** CPU milliseconds (user + system) a process has used, from /proc. */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

const ownCpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function timed<T>(pid: number, f: () => Promise<T>): Promise<{ value: T; wallMs: number; clientCpuMs: number; simCpuMs: number }> {
  const [w0, c0, s0] = [performance.now(), ownCpuMs(), cpuMs(pid)];
  const value = await f();
  return { value, wallMs: Math.round(performance.now() - w0), clientCpuMs: Math.round(ownCpuMs() - c0), simCpuMs: Math.round(cpuMs(pid) - s0) };
}

const mod: CommandModule = {
  async run(argv) {
    const p = parseFlags(
      argv,
      'bench k8s-list',
      { pods: { type: 'string', default: '150000' }, patches: { type: 'string', default: '2000' }, seed: { type: 'string', default: '1' } },
      { pods: 'pods in the simulated cluster', patches: 'label patches for the watch phase', seed: 'generator seed' },
    );
    if (!p) return 0;
    const pods = intFlag(p, 'pods', 1);
    const patches = intFlag(p, 'patches', 0);
    const dir = mkdtempSync(join(tmpdir(), 'ovnscale-bench-'));
    const kubeconfig = join(dir, 'kubeconfig');
    const args = ['sim', '--kubeconfig', kubeconfig, '--log-level', 'warn', '--seed', String(intFlag(p, 'seed')), '--pods', String(pods), '--nodes', String(Math.max(1, Math.round(pods / 75))), '--subnets', String(Math.max(1, Math.min(100, Math.round(pods / 1500))))];
    const child = spawn(process.execPath, ['--max-old-space-size=8192', cliPath(), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const ready = await new Promise<{ loadMs: number; objects: number }>((resolve, reject) => {
        createInterface(child.stdout!).on('line', (line) => {
          const m = JSON.parse(line) as { msg?: string; loadMs: number; objects: number };
          if (m.msg === 'sim listening') resolve(m);
        });
        child.once('exit', (code) => reject(new Error(`ovnscale sim exited with ${code}`)));
      });
      const kc = loadKubeConfig(kubeconfig);
      const pid = child.pid!;

      const base0 = heapMB();
      const reflector = new Reflector(new KubeApi(kc), Pods, { pageSize: 500 });
      const sync = await timed(pid, async () => {
        reflector.start();
        await reflector.waitForSync();
      });
      const reflectorHeap = +(heapMB() - base0).toFixed(1);

      const base1 = heapMB();
      const typed = await timed(pid, async () => {
        const api = kc.makeApiClient(CoreV1Api);
        const items: unknown[] = [];
        let token: string | undefined;
        do {
          const page = await api.listPodForAllNamespaces({ limit: 500, ...(token ? { _continue: token } : {}) });
          items.push(...page.items);
          token = page.metadata?._continue;
        } while (token);
        return items;
      });
      const typedHeap = +(heapMB() - base1).toFixed(1);
      const typedCount = typed.value.length;
      typed.value.length = 0;

      // Watch: label patches written 16 at a time; done when the reflector has applied every one.
      const api = new KubeApi(kc);
      const keys = [...reflector.store.keys()].slice(0, patches);
      let seen = 0;
      reflector.on((e) => {
        if (e.type === 'update' && e.record.labels['bench'] === 'patched') seen++;
      });
      const watch = await timed(pid, async () => {
        let next = 0;
        const worker = async () => {
          while (next < keys.length) {
            const [ns, name] = keys[next++]!.split('/');
            await api.request('PATCH', `/api/v1/namespaces/${ns}/pods/${name}`, { body: { metadata: { labels: { bench: 'patched' } } }, contentType: 'application/merge-patch+json' });
          }
        };
        await Promise.all(Array.from({ length: 16 }, worker));
        while (seen < keys.length) await new Promise((r) => setTimeout(r, 5));
      });
      await reflector.stop();

      const row = (form: string, t: { wallMs: number; clientCpuMs: number; simCpuMs: number }, heap: number, n: number) => ({
        form,
        objects: n,
        wallMs: t.wallMs,
        clientCpuMs: t.clientCpuMs,
        simCpuMs: t.simCpuMs,
        heapMB: heap,
      });
      const result = {
        bench: 'k8s-list',
        simLoadMs: ready.loadMs,
        simObjects: ready.objects,
        initialSync: [row('client-node typed CoreV1Api, paged 500', typed, typedHeap, typedCount), row('Reflector (compact records), paged 500', sync, reflectorHeap, reflector.store.size)],
        typedVsReflectorWall: +(typed.wallMs / sync.wallMs).toFixed(1),
        watch: { patches: keys.length, wallMs: watch.wallMs, eventsPerSec: Math.round((keys.length * 1000) / Math.max(1, watch.wallMs)), clientCpuMs: watch.clientCpuMs, simCpuMs: watch.simCpuMs },
      };
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return 0;
    } finally {
      child.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  },
};

export default mod;
