/** `ovnscale controller`: the long-running controller (see src/controller/controller.ts). */
import { Controller } from '../controller/controller.js';
import { createLogger, parseLevel } from '../util/log.js';
import type { CommandModule } from './commands.js';
import { controllerFlagHelp, controllerFlagSpec, controllerOptions } from './controller-flags.js';
import { boolFlag, intFlag, parseFlags, stringFlag } from './flags.js';

const mod: CommandModule = {
  async run(argv) {
    const p = parseFlags(
      argv,
      'controller',
      {
        ...controllerFlagSpec,
        'metrics-addr': { type: 'string', default: '0.0.0.0:10660' },
        'leader-elect': { type: 'boolean' },
        'lease-namespace': { type: 'string', default: 'kube-system' },
        'lease-name': { type: 'string', default: 'ovnscale-controller' },
        'coalesce-ms': { type: 'string', default: '20' },
        'resync-interval': { type: 'string', default: '300' },
        'state-file': { type: 'string' },
      },
      {
        ...controllerFlagHelp,
        'metrics-addr': 'listen address of /metrics, /healthz and /readyz',
        'leader-elect': 'take part in leader election through a coordination.k8s.io Lease; only the leader writes',
        'lease-namespace': 'namespace of the Lease',
        'lease-name': 'name of the Lease',
        'coalesce-ms': 'events within this many ms are handled in one pass',
        'resync-interval': 'seconds between full passes without events, repairing NB drift (0: never)',
        'state-file': 'save the caches here on stop and start from them (watches and NB monitors resume instead of listing everything); on a volume that outlives the process',
      },
    );
    if (!p) return 0;
    const o = controllerOptions(p);
    const log = createLogger({ level: parseLevel(stringFlag(p, 'log-level')!) });
    const controller = new Controller(
      {
        ...o,
        metricsAddr: stringFlag(p, 'metrics-addr')!,
        leaderElect: boolFlag(p, 'leader-elect'),
        leaseNamespace: stringFlag(p, 'lease-namespace')!,
        leaseName: stringFlag(p, 'lease-name')!,
        coalesceMs: intFlag(p, 'coalesce-ms', 0, 60_000),
        resyncIntervalMs: intFlag(p, 'resync-interval', 0, 86_400) * 1000,
        stateFile: stringFlag(p, 'state-file'),
      },
      log,
    );
    const stop = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    try {
      await controller.start();
    } catch (err) {
      // Its server, watches and timers would keep a process that failed to start alive, serving "not ready".
      await controller.stop().catch(() => undefined);
      throw err;
    }
    await stop;
    log.info('stopping');
    await controller.stop();
    return 0;
  },
};
export default mod;
