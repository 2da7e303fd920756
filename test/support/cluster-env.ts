/**
 * The end-to-end setting most controller tests share: a real OVN central
 * (NB + SB + ovn-northd), the simulated API server loaded with a generated
 * cluster, a kubeconfig for it, and controller options pointing at both.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControllerRunOptions } from '../../src/controller/controller.js';
import { DEFAULT_OPTIONS } from '../../src/controller/options.js';
import { runTool, startOvnCentral, type OvnCentral } from '../../src/embedded/index.js';
import { KubeApi, loadKubeConfig } from '../../src/k8s/index.js';
import { clusterSpec, generateCluster, type ClusterSpec } from '../../src/sim/gen/cluster.js';
import { writeKubeconfig } from '../../src/sim/kubeconfig.js';
import { SimServer } from '../../src/sim/server.js';

export interface ClusterEnv {
  central: OvnCentral;
  sim: SimServer;
  kubeconfig: string;
  api: KubeApi;
  nbctl(...args: string[]): Promise<string>;
  /** Options for an in-process Controller against this NB and API server. */
  controllerOptions(over?: Partial<ControllerRunOptions>): ControllerRunOptions;
  /** Stops everything; resolves to ovn-northd's log, for the caller to check for errors. */
  stop(): Promise<string>;
}

/** `clustered`: the NB as a one-member Raft cluster, which keeps the transaction history a warm restart resumes from. */
export async function startClusterEnv(o: { cluster: Partial<ClusterSpec>; chassis?: string[]; clustered?: boolean }): Promise<ClusterEnv> {
  const central = await startOvnCentral({ clustered: o.clustered ?? false });
  for (const [i, name] of (o.chassis ?? []).entries()) await runTool('ovn-sbctl', ['chassis-add', name, 'geneve', `127.0.1.${i + 1}`], { env: central.env });
  const spec = clusterSpec(o.cluster);
  const sim = new SimServer({ kubevirt: spec.kubevirt });
  sim.load(generateCluster(spec));
  await sim.start();
  const dir = mkdtempSync(join(tmpdir(), 'ovnscale-e2e-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeKubeconfig(kubeconfig, sim.url);
  return {
    central,
    sim,
    kubeconfig,
    api: new KubeApi(loadKubeConfig(kubeconfig)),
    nbctl: (...args) => runTool('ovn-nbctl', args, { env: central.env }),
    controllerOptions: (over = {}) => ({
      ...DEFAULT_OPTIONS,
      wasmWorkers: 0,
      nbAddr: central.nb.remote,
      kubeconfig,
      metricsAddr: '127.0.0.1:0',
      leaderElect: false,
      leaseNamespace: 'kube-system',
      leaseName: 'ovnscale-e2e',
      coalesceMs: 20,
      resyncIntervalMs: 0,
      ...over,
    }),
    async stop() {
      await sim.stop();
      const log = readFileSync(central.northd.logFile, 'utf8');
      await central.stop();
      rmSync(dir, { recursive: true, force: true });
      return log;
    },
  };
}
