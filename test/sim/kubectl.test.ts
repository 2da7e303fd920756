import { execFile, spawn } from 'node:child_process';
import { accessSync, constants, createWriteStream, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { simResources } from '../../src/sim/catalog.js';
import { clusterSpec, generateCluster } from '../../src/sim/gen/cluster.js';
import { writeYaml } from '../../src/sim/gen/yaml.js';
import { startSim, type SimHandle } from '../support/sim.js';

function findKubectl(): string | undefined {
  for (const dir of ['/usr/bin', '/usr/local/bin', ...(process.env.PATH ?? '').split(':')]) {
    try {
      accessSync(join(dir, 'kubectl'), constants.X_OK);
      return join(dir, 'kubectl');
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

const kubectl = findKubectl();
const reason = kubectl ? '' : ' (SKIPPED: kubectl is not installed on this machine)';
if (!kubectl) process.stderr.write(`test/sim/kubectl.test.ts: skipped: kubectl is not installed\n`);

/** Runs kubectl without blocking this process: the simulator answers from the same event loop. */
function runKubectl(kubeconfig: string, dir: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(kubectl!, ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'cache'), ...args], { timeout: 60_000, maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kubectl ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

const pods = simResources.find((r) => r.plural === 'pods')!;
const count = (s: SimHandle, plural: string) => s.server!.store.table(simResources.find((r) => r.plural === plural)!).size;

describe.skipIf(!kubectl)(`kubectl v1.32 against the simulator${reason}`, () => {
  let s: SimHandle;
  const k = (...args: string[]) => runKubectl(s.kubeconfig, s.dir, args);

  beforeAll(async () => {
    s = await startSim({ cluster: { pods: 60, nodes: 3, namespaces: 3, seed: 3 } });
  });
  afterAll(async () => {
    await s?.stop();
  });

  it('get -A --chunk-size pages through every pod', async () => {
    const lists = s.server!.stats.lists;
    const names = (await k('get', 'pods', '-A', '--chunk-size=7', '-o', 'name')).trim().split('\n');
    expect(names).toHaveLength(62);
    expect(s.server!.stats.lists - lists).toBe(Math.ceil(62 / 7));
    expect(await k('get', 'subnets.kubeovn.io', '-o', 'name')).toMatch(/subnet.kubeovn.io\/ovn-default/);
    expect((await k('get', 'nodes', '--field-selector', 'metadata.name=node-0001', '-o', 'name')).trim()).toBe('node/node-0001');
  });

  it('label and annotate patch the object', async () => {
    const [key] = [...s.server!.store.table(pods).keys()];
    const [ns, name] = key!.split('/');
    await k('label', 'pod', name!, '-n', ns!, 'owner=kubectl-test');
    await k('annotate', 'pod', name!, '-n', ns!, 'ovn.kubernetes.io/routed=false', '--overwrite');
    const obj = JSON.parse(s.server!.store.get(pods, ns!, name!)!.json);
    expect(obj.metadata.labels.owner).toBe('kubectl-test');
    expect(obj.metadata.annotations['ovn.kubernetes.io/routed']).toBe('false');
    expect((await k('get', 'pods', '-n', ns!, '-l', 'owner=kubectl-test', '-o', 'name')).trim()).toBe(`pod/${name}`);
  });

  it('get --watch sees create, label and delete as events', async () => {
    const w = spawn(kubectl!, ['--kubeconfig', s.kubeconfig, '--cache-dir', join(s.dir, 'cache'), 'get', 'pods', '-n', 'ns-0001', '--watch', '--output-watch-events']);
    let out = '';
    w.stdout.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const until = async (re: RegExp) => {
        const end = Date.now() + 15_000;
        while (!re.test(out)) {
          if (Date.now() > end) throw new Error(`kubectl --watch output lacks ${re}: ${out}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      };
      await until(/ADDED/);
      await s.api().request('POST', '/api/v1/namespaces/ns-0001/pods', { body: { metadata: { name: 'watched-pod' }, spec: {} } });
      await until(/ADDED\s+watched-pod/);
      await k('label', 'pod', 'watched-pod', '-n', 'ns-0001', 'x=y');
      await until(/MODIFIED\s+watched-pod/);
      await k('delete', 'pod', 'watched-pod', '-n', 'ns-0001');
      await until(/DELETED\s+watched-pod/);
      expect(s.server!.store.get(pods, 'ns-0001', 'watched-pod')).toBeUndefined();
    } finally {
      w.kill('SIGTERM');
    }
  });

  it('apply -f of generated YAML creates everything, and again changes nothing', async () => {
    const empty = await startSim({});
    try {
      const file = join(empty.dir, 'cluster.yaml');
      const out = createWriteStream(file);
      const spec = clusterSpec({ pods: 40, nodes: 2, namespaces: 2, subnets: 2, policies: 10, services: 6, seed: 5 });
      const n = await writeYaml(generateCluster(spec), out);
      out.end();
      await finished(out);
      const run = (...args: string[]) => runKubectl(empty.kubeconfig, empty.dir, args);
      // The simulator serves no OpenAPI documents: client-side validation has to be off.
      const first = (await run('apply', '--validate=false', '-f', file)).trim().split('\n');
      expect(first).toHaveLength(n);
      expect(first.every((l) => l.endsWith(' created'))).toBe(true);
      expect(count(empty, 'pods')).toBe(42);
      expect(count(empty, 'networkpolicies')).toBe(10);
      expect(count(empty, 'subnets')).toBe(2);
      const again = (await run('apply', '--validate=false', '-f', file)).trim().split('\n');
      expect(again.every((l) => l.endsWith(' unchanged'))).toBe(true);
      // A changed label goes out as a strategic merge patch.
      const text = readFileSync(file, 'utf8');
      const podName = /kind: Pod\nmetadata:\n(?:.*\n)*?  name: (\S+)/.exec(text.slice(text.indexOf('tier: ') - 2000))?.[1];
      writeFileSync(file, text.replace(/tier: (\w+)/, 'tier: changed'));
      const changed = (await run('apply', '--validate=false', '-f', file)).trim().split('\n');
      expect(changed.filter((l) => l.endsWith(' configured'))).toHaveLength(1);
      const live = [...empty.server!.store.table(pods).values()].map((p) => JSON.parse(p.json)).filter((p) => p.metadata.labels.tier === 'changed');
      expect(live).toHaveLength(1);
      expect(podName === undefined || live[0].metadata.name === podName).toBe(true);
    } finally {
      await empty.stop();
    }
  });
});
