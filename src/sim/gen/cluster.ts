/**
 * Synthetic clusters, deterministic per seed. Namespace sizes and app sizes
 * inside a namespace are Zipf-distributed; namespaces are spread over Kube-OVN
 * Subnets whose CIDRs do not overlap and hold their pods with headroom.
 * Brownfield (default): every pod already carries the IP/MAC Kube-OVN's IPAM
 * would have written, and EndpointSlices list those IPs. Greenfield: no pod
 * IPs yet, empty EndpointSlices.
 */
import { Allocator, intToIp, ipToInt, layoutBlocks, macFor, prefixFor, type SubnetPlan } from './ipam.js';
import { namespaceObj, nodeObj, podObj, subnetObj, type AppShape, type K8sObject, type PodIdentity } from './objects.js';
import { POLICY_KINDS, policyObj } from './policies.js';
import { Rng, zipfSplit } from './random.js';
import { endpointSliceObjs, serviceObj, type ServiceShape } from './services.js';

export interface ClusterSpec {
  seed: number;
  nodes: number;
  subnets: number;
  pods: number;
  /** Workload namespaces; kube-system (2 coredns pods, the kube-dns Service) comes on top. */
  namespaces: number;
  policies: number;
  services: number;
  /** Generate KubeVirt VMIs with virt-launcher pods (a share of --pods). */
  kubevirt: boolean;
  vmShare: number;
  greenfield: boolean;
}

export function clusterSpec(p: Partial<ClusterSpec> = {}): ClusterSpec {
  const pods = p.pods ?? 100;
  const namespaces = p.namespaces ?? Math.max(1, Math.round(pods / 150));
  const spec: ClusterSpec = {
    seed: p.seed ?? 1,
    nodes: p.nodes ?? 10,
    subnets: p.subnets ?? 2,
    pods,
    namespaces,
    policies: p.policies ?? namespaces * 2,
    services: p.services ?? Math.round(pods / 30),
    kubevirt: p.kubevirt ?? false,
    vmShare: p.vmShare ?? 0.01,
    greenfield: p.greenfield ?? false,
  };
  if (spec.nodes < 1) throw new Error('cluster: --nodes must be at least 1');
  if (spec.subnets < 1) throw new Error('cluster: --subnets must be at least 1');
  if (spec.namespaces < 1) throw new Error('cluster: --namespaces must be at least 1');
  if (!(spec.vmShare >= 0 && spec.vmShare <= 1)) throw new Error('cluster: vmShare must be in [0, 1]');
  return spec;
}

const TEAMS = ['payments', 'search', 'identity', 'growth', 'platform', 'data', 'media', 'ads', 'infra', 'mobile', 'checkout', 'ml'];
const ENVS = ['prod', 'staging', 'dev'];
const TIERS: [string, number][] = [['frontend', 8080], ['backend', 8080], ['cache', 6379], ['db', 5432], ['worker', 9090]];
const WORDS_A = ['orders', 'cart', 'user', 'auth', 'catalog', 'price', 'stock', 'mail', 'feed', 'report', 'image', 'video', 'geo', 'chat', 'audit', 'billing'];
const WORDS_B = ['api', 'web', 'svc', 'worker', 'cache', 'db', 'proxy', 'sync', 'gateway', 'indexer'];

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

export function* generateCluster(spec: ClusterSpec): Generator<K8sObject> {
  const rng = new Rng(spec.seed);
  const brown = !spec.greenfield;
  const nsWidth = Math.max(4, String(spec.namespaces).length);
  const nodeWidth = Math.max(4, String(spec.nodes).length);
  const ns = Array.from({ length: spec.namespaces }, (_, i) => ({
    name: `ns-${pad(i, nsWidth)}`,
    team: TEAMS[i % TEAMS.length]!,
    env: rng.pick(ENVS),
  }));
  const podCounts = zipfSplit(Math.max(0, spec.pods), spec.namespaces, 0.6);
  const vmCounts = new Array<number>(spec.namespaces).fill(0);
  if (spec.kubevirt) {
    const vms = Math.round(spec.pods * spec.vmShare);
    for (let v = 0; v < vms; v++) {
      const i = v % spec.namespaces;
      if (podCounts[i]! > vmCounts[i]!) vmCounts[i]!++;
    }
  }

  // Subnets: namespace i lives on subnet i % S; kube-system on the default subnet.
  const plans: SubnetPlan[] = Array.from({ length: spec.subnets }, (_, s) => ({
    name: s === 0 ? 'ovn-default' : `subnet-${pad(s, 3)}`,
    cidr: '',
    base: 0,
    prefix: 0,
    gateway: '',
    excludeIps: [],
    namespaces: s === 0 ? ['kube-system'] : [],
    pods: s === 0 ? 2 : 0,
  }));
  ns.forEach((n, i) => {
    const plan = plans[i % spec.subnets]!;
    plan.namespaces.push(n.name);
    plan.pods += podCounts[i]!;
  });
  const bases = layoutBlocks(plans.map((p) => prefixFor(p.pods)), '10.128.0.0', 9);
  plans.forEach((p, s) => {
    p.prefix = prefixFor(p.pods);
    p.base = bases[s]!;
    p.cidr = `${intToIp(p.base)}/${p.prefix}`;
    p.gateway = intToIp(p.base + 1);
    p.excludeIps = s % 5 === 4 ? [p.gateway, `${intToIp(p.base + 2)}..${intToIp(p.base + 9)}`] : [p.gateway];
  });
  const alloc = plans.map((p) => new Allocator(p));

  let seq = 0;
  yield namespaceObj('kube-system', rng.uuid(), {}, seq++);
  for (const n of ns) yield namespaceObj(n.name, rng.uuid(), { team: n.team, env: n.env }, seq++);
  for (let s = 0; s < plans.length; s++) {
    const centralized = s % 10 === 9 ? `node-${pad(s % spec.nodes, nodeWidth)}` : '';
    yield subnetObj(plans[s]!, rng.uuid(), seq++, s === 0, centralized);
  }
  const nodeIP = (i: number): string => intToIp(ipToInt('172.16.0.0') + 10 + i);
  for (let i = 0; i < spec.nodes; i++) {
    const join = brown ? { ip: intToIp(ipToInt('100.64.0.2') + i), mac: macFor(0x800000 + i) } : undefined;
    yield nodeObj(`node-${pad(i, nodeWidth)}`, rng.uuid(), i, nodeIP(i), join);
  }

  let podSeq = 0;
  const makePod = (namespace: string, name: string, subnet: number): PodIdentity => {
    const n = rng.int(spec.nodes);
    const id = podSeq++;
    return {
      name,
      namespace,
      uid: rng.uuid(),
      nodeName: `node-${pad(n, nodeWidth)}`,
      nodeIP: nodeIP(n),
      ip: brown ? alloc[subnet]!.allocate() : '',
      mac: brown ? macFor(id + 1) : '',
    };
  };

  // kube-system: coredns, which every DNS egress policy points at.
  const dnsApp: AppShape = { name: 'coredns', namespace: 'kube-system', tier: 'system', team: 'platform', env: 'prod', version: 'v1', port: 53, hash: rng.suffix(10) };
  const dnsPods: PodIdentity[] = [];
  for (let k = 0; k < 2; k++) {
    const p = makePod('kube-system', `coredns-${dnsApp.hash}-${rng.suffix(5)}`, 0);
    dnsPods.push(p);
    yield podObj(p, dnsApp, podSeq, {
      labels: { 'k8s-app': 'kube-dns', 'pod-template-hash': dnsApp.hash },
      image: 'registry.k8s.io/coredns/coredns:v1.11.3',
      subnet: plans[0]!,
      ownerReference: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `coredns-${dnsApp.hash}`, uid: 'rs-kube-system-coredns' },
    });
  }

  const apps: AppShape[] = [];
  const appsByNs: AppShape[][] = ns.map(() => []);
  const appPods = new Map<AppShape, PodIdentity[]>();
  for (let i = 0; i < ns.length; i++) {
    const n = ns[i]!;
    const subnet = i % spec.subnets;
    const workload = podCounts[i]! - vmCounts[i]!;
    const appCount = Math.max(1, Math.min(workload, Math.round(workload / (8 + rng.int(25)))));
    const sizes = zipfSplit(workload, appCount, 1.0);
    const used = new Set<string>();
    for (let a = 0; a < appCount; a++) {
      if (sizes[a] === 0) continue;
      let name = `${rng.pick(WORDS_A)}-${rng.pick(WORDS_B)}`;
      if (used.has(name)) name = `${name}-${a}`;
      used.add(name);
      const [tier, port] = rng.pick(TIERS);
      const app: AppShape = { name, namespace: n.name, tier, team: n.team, env: n.env, version: `v${1 + rng.int(3)}`, port, hash: rng.suffix(10) };
      apps.push(app);
      appsByNs[i]!.push(app);
      const pods: PodIdentity[] = [];
      for (let r = 0; r < sizes[a]!; r++) {
        const p = makePod(n.name, `${name}-${app.hash}-${rng.suffix(5)}`, subnet);
        pods.push(p);
        yield podObj(p, app, podSeq, { subnet: plans[subnet]! });
      }
      appPods.set(app, pods);
    }
    for (let v = 0; v < vmCounts[i]!; v++) yield* virtualMachine(n.name, plans[subnet]!, subnet);
  }

  function* virtualMachine(namespace: string, plan: SubnetPlan, subnet: number): Generator<K8sObject> {
    const vm = `vm-${rng.suffix(6)}`;
    const vmiUid = rng.uuid();
    const p = makePod(namespace, `virt-launcher-${vm}-${rng.suffix(5)}`, subnet);
    const shape: AppShape = { name: 'compute', namespace, tier: 'vm', team: 'virt', env: 'prod', version: 'v1', port: 22, hash: rng.suffix(10) };
    yield podObj(p, shape, podSeq, {
      labels: { 'kubevirt.io': 'virt-launcher', 'vm.kubevirt.io/name': vm, 'kubevirt.io/created-by': vmiUid, 'kubevirt.io/nodeName': p.nodeName },
      annotations: { 'kubevirt.io/domain': vm, 'kubectl.kubernetes.io/default-container': 'compute' },
      ownerReference: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', name: vm, uid: vmiUid },
      image: 'quay.io/kubevirt/virt-launcher:v1.3.1',
      subnet: plan,
    });
    yield {
      apiVersion: 'kubevirt.io/v1',
      kind: 'VirtualMachineInstance',
      metadata: { name: vm, namespace, uid: vmiUid, labels: { 'kubevirt.io/vm': vm }, annotations: { 'kubevirt.io/latest-observed-api-version': 'v1' } },
      spec: {
        domain: { devices: { interfaces: [{ name: 'default', bridge: {} }] }, resources: { requests: { memory: '2Gi' } } },
        networks: [{ name: 'default', pod: {} }],
        evictionStrategy: 'LiveMigrate',
      },
      status: {
        phase: 'Running',
        nodeName: p.nodeName,
        interfaces: p.ip ? [{ name: 'default', ipAddress: p.ip, ipAddresses: [p.ip], mac: p.mac }] : [],
        migrationMethod: 'BlockMigration',
      },
    };
  }

  // Services select an app's pods; EndpointSlices list exactly those pods' IPs.
  const dnsSvc: ServiceShape = {
    name: 'kube-dns',
    namespace: 'kube-system',
    uid: rng.uuid(),
    clusterIP: '10.96.0.10',
    selector: { 'k8s-app': 'kube-dns' },
    ports: [
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, targetPort: 53, protocol: 'TCP' },
    ],
  };
  yield serviceObj(dnsSvc, seq++);
  yield* endpointSliceObjs(dnsSvc, dnsPods, dnsApp, () => rng.uuid(), () => rng.suffix(5));
  const svcBase = ipToInt('10.96.0.16');
  for (let i = 0; apps.length > 0 && i < spec.services; i++) {
    const app = apps[i % apps.length]!;
    const round = Math.floor(i / apps.length);
    const shape: ServiceShape = {
      name: round === 0 ? app.name : `${app.name}-${round}`,
      namespace: app.namespace,
      uid: rng.uuid(),
      clusterIP: intToIp(svcBase + i),
      selector: { app: app.name },
      ports: round === 0 ? [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] : [{ name: 'metrics', port: 9100, targetPort: 'metrics', protocol: 'TCP' }],
    };
    yield serviceObj(shape, seq++);
    yield* endpointSliceObjs(shape, appPods.get(app) ?? [], app, () => rng.uuid(), () => rng.suffix(5));
  }

  for (let k = 0; k < spec.policies; k++) {
    const i = k % ns.length;
    const round = Math.floor(k / ns.length);
    // Each namespace gets distinct kinds in turn, starting at a different kind per namespace.
    const kind = POLICY_KINDS[(i + round) % POLICY_KINDS.length]!;
    const nsApps = appsByNs[i]!;
    const app = nsApps.length > 0 ? nsApps[round % nsApps.length]! : { ...dnsApp, name: 'none', namespace: ns[i]!.name };
    const name = round < POLICY_KINDS.length ? kind : `${kind}-${Math.floor(round / POLICY_KINDS.length)}`;
    yield policyObj(kind, name, {
      namespace: ns[i]!.name,
      uid: rng.uuid(),
      app,
      peerTeam: TEAMS[(i + 1 + round) % TEAMS.length]!,
      exceptCidr: plans[(i + 1) % plans.length]!.cidr,
    });
  }
}
