/**
 * The `ovnscale` command table. Each command lives in its own module, loaded
 * only when it runs, so `ovnscale sim` never pays for the wasm pool and
 * `ovnscale agent` never loads the controller.
 */
export interface CommandModule {
  run(argv: string[]): Promise<number>;
}

export interface Command {
  /** Words that name it, e.g. ['bench', 'ovsdb']. */
  words: string[];
  summary: string;
  load: () => Promise<CommandModule>;
}

export const commands: Command[] = [
  {
    words: ['sim'],
    summary: 'simulated Kubernetes API server with a synthetic cluster (or --out YAML)',
    load: () => import('./sim.js').then((m) => m.default),
  },
  {
    words: ['bench', 'k8s-memory'],
    summary: 'heap of N pods as raw objects, client-node models and compact records',
    load: () => import('./bench-k8s-memory.js').then((m) => m.default),
  },
  {
    words: ['bench', 'k8s-list'],
    summary: 'initial sync of N pods from ovnscale sim: Reflector vs client-node typed list; watch throughput',
    load: () => import('./bench-k8s-list.js').then((m) => m.default),
  },
  {
    words: ['bench', 'selectors'],
    summary: 'selector resolution: naive vs JS bitsets vs wasm vs wasm pool; route-set diff; relabel cost',
    load: () => import('./bench-selectors.js').then((m) => m.default),
  },
  {
    words: ['agent'],
    summary: 'node agent: preflight, OVS tuning, br-int wait, node-scoped caches (--once: check and exit)',
    load: () => import('./agent.js').then((m) => m.default),
  },
  {
    words: ['demo'],
    summary: 'the main job on an embedded default: NB + ovn-northd, a simulated cluster, the controller; progress, summary and a report',
    load: () => import('./demo.js').then((m) => m.default),
  },
  {
    words: ['bench', 'ovsdb'],
    summary: 'Logical_Router_Policy inserts: client batched / one per transaction vs raw-socket floor; monitor decode',
    load: () => import('./bench-ovsdb.js').then((m) => m.default),
  },
  {
    words: ['bench', 'agent-memory'],
    summary: "agent cache memory at several cluster sizes: node-scoped vs every Node and Pod",
    load: () => import('./bench-agent-memory.js').then((m) => m.default),
  },
  {
    words: ['bench', 'migration'],
    summary: 'KubeVirt live migration: scheduled -> NB commit and -> SB Port_Binding, first vs second migration',
    load: () => import('./bench-migration.js').then((m) => m.default),
  },
  {
    words: ['sync'],
    summary: 'one bulk sync of the cluster into the NB, then exit (--plan: show the changes, write nothing)',
    load: () => import('./sync.js').then((m) => m.default),
  },
  {
    words: ['bench', 'plan'],
    summary: 'desired state + NB plan at cluster scale (cold start, warm restart, drift)',
    load: () => import('../controller/bench-plan.js').then((m) => m.default),
  },
  {
    words: ['bench', 'sync'],
    summary: 'cold sync, warm restart, repair, Service/pod/policy event latency at cluster scale, beside the raw floor and a naive baseline',
    load: () => import('./bench-sync.js').then((m) => m.default),
  },
  {
    words: ['controller'],
    summary: 'the controller: bulk sync on start, then reconcile on events (metrics, health, leader election)',
    load: () => import('./controller.js').then((m) => m.default),
  },
];
