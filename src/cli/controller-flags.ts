/** Flags shared by `ovnscale controller` and `ovnscale sync`, with kube-ovn-controller's defaults. */
import { availableParallelism } from 'node:os';
import { DEFAULT_OPTIONS, type ControllerOptions } from '../controller/options.js';
import { defaultHeapTarget, parseHeapTarget, type HeapTarget } from '../util/heap-governor.js';
import { intFlag, stringFlag, UsageError, type FlagSpec, type Parsed } from './flags.js';

/** `--heap-target-mb`, also on the commands that start controllers of their own (bench sync, demo). */
export const heapTargetFlagSpec: FlagSpec = { 'heap-target-mb': { type: 'string', default: String(defaultHeapTarget()) } };
export function heapTargetMb(p: Parsed): HeapTarget {
  const text = stringFlag(p, 'heap-target-mb')!;
  const t = parseHeapTarget(text);
  if (t === undefined || (t !== 'auto' && t > 1_048_576)) throw new UsageError(`--heap-target-mb: expected 'auto' or MiB from 0 to 1048576, got '${text}'`);
  return t;
}
/** Its help where the controllers run in processes of their own. */
export const childHeapTargetHelp = { 'heap-target-mb': "the controller's soft heap target in MiB or auto, as `ovnscale controller --heap-target-mb` (0: V8's own heuristics)" };

export const controllerFlagSpec: FlagSpec = {
  kubeconfig: { type: 'string' },
  'ovn-nb-addr': { type: 'string' },
  'ovn-sb-addr': { type: 'string' },
  'worker-num': { type: 'string', default: String(DEFAULT_OPTIONS.workerNum) },
  'wasm-workers': { type: 'string', default: String(availableParallelism()) },
  'max-ops-per-txn': { type: 'string', default: String(DEFAULT_OPTIONS.maxOpsPerTxn) },
  'cluster-router': { type: 'string', default: DEFAULT_OPTIONS.clusterRouter },
  'default-subnet': { type: 'string', default: DEFAULT_OPTIONS.defaultSubnet },
  'default-cidr': { type: 'string', default: DEFAULT_OPTIONS.defaultCidr },
  'default-gateway': { type: 'string', default: '' },
  'default-exclude-ips': { type: 'string', default: '' },
  'node-switch': { type: 'string', default: DEFAULT_OPTIONS.nodeSwitch },
  'node-switch-cidr': { type: 'string', default: DEFAULT_OPTIONS.nodeSwitchCidr },
  vendor: { type: 'string', default: DEFAULT_OPTIONS.vendor },
  'log-level': { type: 'string', default: 'info' },
  ...heapTargetFlagSpec,
};

export const controllerFlagHelp: Record<string, string> = {
  kubeconfig: 'kubeconfig file (default: in-cluster service account)',
  'ovn-nb-addr': 'OVN Northbound remotes, comma-separated (tcp:, ssl:, unix:); required',
  'ovn-sb-addr': 'OVN Southbound remotes (live-migration confirmation)',
  'worker-num': 'workers of the per-object queues: the KubeVirt migration queue, and the annotation write-back (8 requests in flight each); NB reconciliation is one pass at a time',
  'wasm-workers': 'wasm worker threads (0: evaluate on the main thread)',
  'max-ops-per-txn': 'operations per NB transaction at most',
  'cluster-router': 'the default VPC\'s Logical_Router',
  'default-subnet': 'the default subnet (created when absent)',
  'default-cidr': 'CIDR of the default subnet',
  'default-gateway': 'gateway of the default subnet (default: first address)',
  'default-exclude-ips': 'comma-separated addresses or a..b ranges the default subnet never hands out',
  'node-switch': 'the join switch',
  'node-switch-cidr': 'CIDR of the join subnet',
  vendor: 'external_ids:vendor of the rows this controller owns (kube-ovn adopts an existing Kube-OVN NB)',
  'log-level': 'debug, info, warn or error',
  'heap-target-mb': "soft target of the V8 heap in MiB: past it, a full pass collects before and after its plan and between its transactions, at most 10% of the time; auto: what a full pass keeps around its plan (0: V8's own heuristics; default: 60% of the container's memory limit, auto without one)",
};

export function controllerOptions(p: Parsed): ControllerOptions & { nbAddr: string; sbAddr?: string; kubeconfig?: string } {
  const nbAddr = stringFlag(p, 'ovn-nb-addr');
  if (!nbAddr) throw new UsageError('--ovn-nb-addr is required, e.g. tcp:10.0.0.2:6641 or unix:/var/run/ovn/ovnnb_db.sock');
  const vendor = stringFlag(p, 'vendor')!;
  if (!vendor) throw new UsageError('--vendor: must not be empty');
  return {
    nbAddr,
    sbAddr: stringFlag(p, 'ovn-sb-addr'),
    kubeconfig: stringFlag(p, 'kubeconfig'),
    clusterRouter: stringFlag(p, 'cluster-router')!,
    defaultSubnet: stringFlag(p, 'default-subnet')!,
    defaultCidr: stringFlag(p, 'default-cidr')!,
    defaultGateway: stringFlag(p, 'default-gateway')!,
    defaultExcludeIps: (stringFlag(p, 'default-exclude-ips') ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    nodeSwitch: stringFlag(p, 'node-switch')!,
    nodeSwitchCidr: stringFlag(p, 'node-switch-cidr')!,
    vendor,
    maxOpsPerTxn: intFlag(p, 'max-ops-per-txn', 1, 1_000_000),
    workerNum: intFlag(p, 'worker-num', 1, 256),
    wasmWorkers: intFlag(p, 'wasm-workers', 0, 256),
    heapTargetMb: heapTargetMb(p),
  };
}
