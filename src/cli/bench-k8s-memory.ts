/**
 * `ovnscale bench k8s-memory`: heap held by N pods kept three ways, measured
 * one after another in this process with a forced GC between phases:
 *   raw     – the objects as JSON.parse gives them (what a plain informer keeps),
 *   typed   – client-node's V1Pod models (what its own informer keeps),
 *   compact – our trimmed PodRecords.
 * The objects are the generator's pods, serialized and parsed as they would
 * arrive from the API server.
 */
// The typed clients' own deserializer (not re-exported by the package index).
import { ObjectSerializer } from '@kubernetes/client-node/dist/gen/models/ObjectSerializer.js';
import { clusterSpec, generateCluster } from '../sim/gen/cluster.js';
import { trimPod } from '../k8s/trim.js';
import { collectGarbage } from '../util/gc.js';
import { intFlag, parseFlags } from './flags.js';
import type { CommandModule } from './commands.js';

function heap(): number {
  for (let i = 0; i < 3; i++) collectGarbage();
  return process.memoryUsage().heapUsed;
}

function podJson(pods: number, seed: number): string[] {
  const spec = clusterSpec({ pods, seed, nodes: Math.max(1, Math.round(pods / 75)), subnets: Math.max(1, Math.round(pods / 1500)), services: 0, policies: 0 });
  const out: string[] = [];
  for (const o of generateCluster(spec)) if (o.kind === 'Pod') out.push(JSON.stringify(o));
  return out;
}

const mod: CommandModule = {
  async run(argv) {
    const p = parseFlags(argv, 'bench k8s-memory', { pods: { type: 'string', default: '150000' }, seed: { type: 'string', default: '1' } }, {
      pods: 'pods to hold',
      seed: 'generator seed',
    });
    if (!p) return 0;
    const n = intFlag(p, 'pods', 1);
    const wire = podJson(n, intFlag(p, 'seed'));
    const wireBytes = wire.reduce((a, s) => a + s.length, 0);
    const rows: { form: string; heapMB: number; bytesPerPod: number; buildMs: number }[] = [];
    const measure = (form: string, build: () => unknown[]): void => {
      const before = heap();
      const t0 = performance.now();
      let kept: unknown[] | undefined = build();
      const buildMs = performance.now() - t0;
      const held = heap() - before;
      rows.push({ form, heapMB: +(held / 2 ** 20).toFixed(1), bytesPerPod: Math.round(held / kept.length), buildMs: Math.round(buildMs) });
      kept = undefined;
    };
    measure('raw JSON objects', () => wire.map((s) => JSON.parse(s) as unknown));
    measure('client-node V1Pod', () => wire.map((s) => ObjectSerializer.deserialize(JSON.parse(s), 'V1Pod', '') as unknown));
    measure('compact PodRecord', () => wire.map((s) => trimPod(JSON.parse(s))));
    const compact = rows[2]!.heapMB;
    process.stdout.write(
      `${JSON.stringify({ bench: 'k8s-memory', pods: wire.length, wireMB: +(wireBytes / 2 ** 20).toFixed(1), rows: rows.map((r) => ({ ...r, vsCompact: +(r.heapMB / compact).toFixed(1) })) }, null, 2)}\n`,
    );
    return 0;
  },
};

export default mod;
