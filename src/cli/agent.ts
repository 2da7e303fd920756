/** `ovnscale agent`: one per node; see src/agent/agent.ts. */
import { availableParallelism, hostname } from 'node:os';
import { runAgent } from '../agent/agent.js';
import { ExitCode } from '../agent/preflight.js';
import { createLogger, parseLevel } from '../util/log.js';
import type { CommandModule } from './commands.js';
import { boolFlag, intFlag, parseFlags, stringFlag, UsageError } from './flags.js';

const oneOf = <T extends string>(flag: string, value: string, allowed: readonly T[]): T => {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${flag}: expected one of ${allowed.join(', ')}, got '${value}'`);
};

const mod: CommandModule = {
  async run(argv) {
    const p = parseFlags(
      argv,
      'agent',
      {
        'node-name': { type: 'string', default: process.env.NODE_NAME ?? hostname() },
        kubeconfig: { type: 'string' },
        'ovs-db': { type: 'string', default: 'unix:/var/run/openvswitch/db.sock' },
        'ovs-rundir': { type: 'string', default: '/var/run/openvswitch' },
        'rundir-link': { type: 'string', default: '/usr/local/var/run/openvswitch' },
        'ovn-remote': { type: 'string' },
        'encap-ip': { type: 'string' },
        'encap-type': { type: 'string', default: 'geneve' },
        datapath: { type: 'string', default: 'system' },
        'remote-probe-interval': { type: 'string', default: '10000' },
        'openflow-probe-interval': { type: 'string', default: '180' },
        'br-int-timeout': { type: 'string', default: '120' },
        'ovsdb-timeout': { type: 'string', default: '30' },
        'host-root': { type: 'string', default: '/' },
        'load-modules': { type: 'boolean' },
        once: { type: 'boolean' },
        'log-level': { type: 'string', default: 'info' },
      },
      {
        'node-name': 'this node (env NODE_NAME, else the host name)',
        kubeconfig: 'kubeconfig file (default: in-cluster service account)',
        'ovs-db': 'the local Open_vSwitch database',
        'ovs-rundir': 'where ovs-vswitchd puts br-int.mgmt',
        'rundir-link': 'path that must be a link to --ovs-rundir (created when absent)',
        'ovn-remote': 'OVN Southbound remote for ovn-controller (required), e.g. tcp:10.0.0.2:6642',
        'encap-ip': 'tunnel endpoint IP (default: the Node\'s InternalIP)',
        'encap-type': 'geneve, vxlan or stt',
        datapath: 'system (kernel module) or netdev (userspace)',
        'remote-probe-interval': 'ovn-remote-probe-interval, ms',
        'openflow-probe-interval': 'ovn-openflow-probe-interval, s',
        'br-int-timeout': 'seconds to wait for br-int and br-int.mgmt',
        'ovsdb-timeout': 'seconds to wait for the local Open_vSwitch database',
        'host-root': 'where the host\'s /proc, /sys and /lib/modules are mounted',
        'load-modules': 'modprobe ip_tables when it is present but not loaded',
        once: 'run preflight, tuning and the br-int wait, then exit 0 when the node is ready',
        'log-level': 'debug, info, warn or error',
      },
    );
    if (!p) return ExitCode.ready;
    const ovnRemote = stringFlag(p, 'ovn-remote');
    if (!ovnRemote) throw new UsageError('--ovn-remote is required (the OVN Southbound database, e.g. tcp:10.0.0.2:6642)');
    const stop = new AbortController();
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
    const nodeName = stringFlag(p, 'node-name')!;
    return runAgent({
      nodeName,
      kubeconfig: stringFlag(p, 'kubeconfig'),
      ovsDb: stringFlag(p, 'ovs-db')!,
      ovsRundir: stringFlag(p, 'ovs-rundir')!,
      rundirLink: stringFlag(p, 'rundir-link')!,
      ovnRemote,
      encapIp: stringFlag(p, 'encap-ip'),
      encapType: oneOf('encap-type', stringFlag(p, 'encap-type')!, ['geneve', 'vxlan', 'stt'] as const),
      datapath: oneOf('datapath', stringFlag(p, 'datapath')!, ['system', 'netdev'] as const),
      remoteProbeIntervalMs: intFlag(p, 'remote-probe-interval', 0),
      openflowProbeIntervalS: intFlag(p, 'openflow-probe-interval', 0),
      brIntTimeoutMs: intFlag(p, 'br-int-timeout', 1) * 1000,
      ovsdbTimeoutMs: intFlag(p, 'ovsdb-timeout', 1) * 1000,
      hostRoot: stringFlag(p, 'host-root')!,
      cpus: availableParallelism(),
      hostname: nodeName,
      once: boolFlag(p, 'once'),
      loadModules: boolFlag(p, 'load-modules'),
      log: createLogger({ level: parseLevel(stringFlag(p, 'log-level')!) }),
      signal: stop.signal,
    });
  },
};
export default mod;
