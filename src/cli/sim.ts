/**
 * `ovnscale sim`: the simulated Kubernetes API server, optionally loaded with
 * a synthetic cluster; or, with --out, only the cluster written as YAML.
 */
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import { createLogger, parseLevel } from '../util/log.js';
import { clusterSpec, generateCluster, type ClusterSpec } from '../sim/gen/cluster.js';
import { writeYaml } from '../sim/gen/yaml.js';
import { writeKubeconfig } from '../sim/kubeconfig.js';
import { SimServer } from '../sim/server.js';
import { boolFlag, intFlag, optionalIntFlag, parseFlags, stringFlag, UsageError, type Parsed } from './flags.js';
import type { CommandModule } from './commands.js';

const GEN_FLAGS = ['nodes', 'subnets', 'pods', 'namespaces', 'policies', 'services'] as const;

export function clusterFlags(p: Parsed): ClusterSpec | undefined {
  const given = GEN_FLAGS.some((f) => p.values[f] !== undefined) || boolFlag(p, 'kubevirt');
  if (!given) return undefined;
  const part: Partial<ClusterSpec> = { seed: intFlag(p, 'seed'), kubevirt: boolFlag(p, 'kubevirt'), greenfield: boolFlag(p, 'greenfield') };
  for (const f of GEN_FLAGS) {
    const v = optionalIntFlag(p, f, 0, 10_000_000);
    if (v !== undefined) part[f] = v;
  }
  const share = stringFlag(p, 'vm-share');
  if (share !== undefined) {
    const n = Number(share);
    if (!(n >= 0 && n <= 1)) throw new UsageError(`--vm-share: expected a fraction in [0, 1], got '${share}'`);
    part.vmShare = n;
  }
  try {
    return clusterSpec(part);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export const clusterFlagSpec = {
  seed: { type: 'string', default: '1' },
  nodes: { type: 'string' },
  subnets: { type: 'string' },
  pods: { type: 'string' },
  namespaces: { type: 'string' },
  policies: { type: 'string' },
  services: { type: 'string' },
  kubevirt: { type: 'boolean' },
  'vm-share': { type: 'string' },
  greenfield: { type: 'boolean' },
} as const;

export const clusterFlagHelp: Record<string, string> = {
  seed: 'generator seed: the same seed gives the same cluster',
  nodes: 'nodes (default 10 once any generator flag is given)',
  subnets: 'kubeovn.io Subnets (default 2)',
  pods: 'pods, plus 2 coredns pods in kube-system (default 100)',
  namespaces: 'workload namespaces (default pods/150)',
  policies: 'NetworkPolicies (default 2 per namespace)',
  services: 'Services with EndpointSlices (default pods/30)',
  kubevirt: 'serve kubevirt.io/v1 and generate VMIs with virt-launcher pods',
  'vm-share': 'share of pods that are virt-launcher pods (default 0.01)',
  greenfield: 'pods without IPs yet (no IPAM annotations, empty EndpointSlices)',
};

const mod: CommandModule = {
  async run(argv) {
    const p = parseFlags(
      argv,
      'sim',
      {
        port: { type: 'string', default: '0' },
        kubeconfig: { type: 'string' },
        out: { type: 'string' },
        history: { type: 'string', default: '10000' },
        'bookmark-interval-ms': { type: 'string', default: '5000' },
        'log-level': { type: 'string', default: 'info' },
        ...clusterFlagSpec,
      },
      {
        port: 'TCP port on 127.0.0.1 (0: any free port)',
        kubeconfig: 'write a kubeconfig for the server to this path',
        out: 'write the generated cluster as multi-document YAML to this file and exit',
        history: 'watch events kept; older resourceVersions get 410 Gone',
        'bookmark-interval-ms': 'interval of watch bookmarks',
        'log-level': 'debug, info, warn or error',
        ...clusterFlagHelp,
      },
    );
    if (!p) return 0;
    const log = createLogger({ level: parseLevel(stringFlag(p, 'log-level') ?? 'info') });
    const spec = clusterFlags(p);
    const out = stringFlag(p, 'out');
    if (out !== undefined) {
      if (!spec) throw new UsageError('--out needs a cluster: give at least one of --nodes, --pods, ...');
      const file = createWriteStream(out);
      const n = await writeYaml(generateCluster(spec), file);
      file.end();
      await finished(file);
      process.stdout.write(`${JSON.stringify({ msg: 'cluster written', out, objects: n })}\n`);
      return 0;
    }
    const server = new SimServer({
      kubevirt: spec?.kubevirt ?? boolFlag(p, 'kubevirt'),
      historySize: intFlag(p, 'history', 1),
      bookmarkIntervalMs: intFlag(p, 'bookmark-interval-ms', 10),
      logger: log,
    });
    const started = Date.now();
    const objects = spec ? server.load(generateCluster(spec)) : 0;
    const url = await server.start(intFlag(p, 'port', 0, 65535));
    const kubeconfig = stringFlag(p, 'kubeconfig');
    if (kubeconfig) writeKubeconfig(kubeconfig, url);
    process.stdout.write(`${JSON.stringify({ msg: 'sim listening', url, port: server.port, kubeconfig, objects, loadMs: Date.now() - started })}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await server.stop();
    return 0;
  },
};

export default mod;
