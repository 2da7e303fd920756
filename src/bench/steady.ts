/**
 * Steady-state phases against a running controller: each writes to the API
 * server as a client would and times until the change is in the NB, read
 * from our own replicated cache (NbWatch); the passes that ran meanwhile say
 * what the controller wrote.
 */
import { ApiError, type KubeApi } from '../k8s/index.js';
import { policyPortGroupName, podPortName } from '../nb/naming.js';
import { policyRows, touched, passAfter, type Running, type Touched } from './controller-run.js';
import { mapValue, setMembers, type NbWatch } from './nb-watch.js';
import { latency, r1, seconds, type Latency } from './stats.js';

export interface SteadyContext {
  api: KubeApi;
  watch: NbWatch;
  run: Running;
  /** A workload namespace with pods. */
  namespace: string;
  node: string;
  timeoutMs: number;
  progress: (line: string) => void;
}

export interface ServicePhase {
  samples: number;
  /** The untimed-for-percentiles first Service after the restart. */
  firstAfterRestart: { createMs: number; deleteMs: number };
  create: Latency;
  delete: Latency;
  /** NB work of the passes during the phase (the first Service's round trip included). */
  touched: Touched;
  policyRowsTouched: number;
  seconds: number;
}

export interface ChurnPhase {
  pods: number;
  createsPerSec: number;
  deletesPerSec: number;
  create: Latency;
  delete: Latency;
  touched: Touched;
  seconds: number;
}

export interface NetpolPhase {
  create: Latency;
  update: Latency;
  touched: Touched;
  seconds: number;
}

export interface RelabelPhase {
  namespace: string;
  latencyMs: number;
  /** NB rows the relabel changed (the fan-out), by table. */
  touched: Touched;
  seconds: number;
}

interface PodList {
  items: { metadata: { name: string }; status?: { podIP?: string } }[];
}

const VIP_BASE = [10, 254];

/** One Service with its EndpointSlice created, then deleted: ms from each API write to the VIP's change in the NB. */
async function serviceRoundTrip(ctx: SteadyContext, i: number, ips: readonly string[]): Promise<{ create: number; delete: number }> {
  const { api, watch, namespace } = ctx;
  const name = `bench-svc-${i}`;
  const vip = `${VIP_BASE.join('.')}.${i >> 8}.${i & 255}:80`;
  const inNb = (row: Parameters<typeof mapValue>[0]) => mapValue(row, 'vips', vip) !== undefined;
  const seen = watch.until('Load_Balancer', (c) => c.kind !== 'delete' && inNb(c.row), ctx.timeoutMs, `Service ${namespace}/${name} VIP ${vip}`);
  const start = performance.now();
  await api.request('POST', `/api/v1/namespaces/${namespace}/services`, {
    body: { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace }, spec: { clusterIP: vip.split(':')[0], clusterIPs: [vip.split(':')[0]], selector: { bench: name }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] } },
  });
  await api.request('POST', `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices`, {
    body: {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-x`, namespace, labels: { 'kubernetes.io/service-name': name } },
      addressType: 'IPv4',
      endpoints: ips.slice(0, 3).map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    },
  });
  const create = (await seen) - start;
  const gone = watch.until('Load_Balancer', (c) => c.kind !== 'delete' && c.old !== undefined && inNb(c.old) && !inNb(c.row), ctx.timeoutMs, `Service ${name} VIP removed`);
  const del = performance.now();
  await api.request('DELETE', `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices/${name}-x`);
  await api.request('DELETE', `/api/v1/namespaces/${namespace}/services/${name}`);
  return { create, delete: (await gone) - del };
}

/**
 * Creates and deletes `n` Services (one EndpointSlice each, over pods of the
 * namespace), one at a time, after one more that is reported on its own:
 * the first event after a restart pays for warming up (JIT, lazy sweeping of
 * the startup's garbage) and is not a steady-state sample.
 */
export async function servicePhase(ctx: SteadyContext, n: number): Promise<ServicePhase> {
  const pods = await ctx.api.request<PodList>('GET', `/api/v1/namespaces/${ctx.namespace}/pods`, { query: { limit: 20 } });
  const ips = pods.items.map((p) => p.status?.podIP).filter((ip): ip is string => !!ip);
  const t0 = performance.now();
  const first = await serviceRoundTrip(ctx, n, ips);
  const creates: number[] = [];
  const deletes: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await serviceRoundTrip(ctx, i, ips);
    creates.push(r.create);
    deletes.push(r.delete);
  }
  const end = performance.now();
  await ctx.run.settled();
  const t = touched(ctx.run.passes, t0, performance.now());
  return {
    samples: n,
    firstAfterRestart: { createMs: r1(first.create), deleteMs: r1(first.delete) },
    create: latency(creates),
    delete: latency(deletes),
    touched: t,
    policyRowsTouched: policyRows(t),
    seconds: seconds(end - t0),
  };
}

/** Creates `n` pods (16 requests in flight) on one node, waits for every port, then deletes them. */
export async function churnPhase(ctx: SteadyContext, n: number): Promise<ChurnPhase> {
  const { api, watch, namespace } = ctx;
  const names = Array.from({ length: n }, (_, i) => `bench-churn-${i}`);
  const ports = new Map(names.map((p) => [podPortName(p, namespace), p]));
  const sent = new Map<string, number>();
  const createMs: number[] = [];
  const deleteMs: number[] = [];
  const t0 = performance.now();
  /** Resolves when every churn pod's port was inserted (deleted) in the NB; `into` gets each one's ms since its request. */
  const portsChange = (kind: 'insert' | 'delete', into: number[]): Promise<number> => {
    const p = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pod churn: ${n - into.length} of ${n} ports not ${kind === 'insert' ? 'in' : 'gone from'} the NB after ${ctx.timeoutMs} ms`)), ctx.timeoutMs).unref();
      // A churn pod the controller rejects (its subnet out of addresses, say) never gets a port: fail at once, saying why.
      const check = setInterval(() => {
        const e = ctx.run.passes.at(-1)?.report.errors.find((x) => x.kind === 'Pod' && x.namespace === namespace && ports.has(podPortName(x.name, namespace)));
        if (!e) return;
        clearTimeout(timer);
        clearInterval(check);
        off();
        reject(new Error(`pod churn: the controller rejected a churn pod: ${e.message}`));
      }, 200).unref();
      const off = watch.client.cache.onChange((c) => {
        if (c.table !== 'Logical_Switch_Port' || c.kind !== kind) return;
        const pod = ports.get(String(c.row['name']));
        const at = pod && sent.get(pod);
        if (!at) return;
        into.push(performance.now() - at);
        sent.delete(pod);
        if (into.length === n) {
          clearTimeout(timer);
          clearInterval(check);
          off();
          resolve(performance.now());
        }
      });
    });
    // Awaited after the requests are sent: a timeout meanwhile must not be an unhandled rejection.
    p.catch(() => undefined);
    return p;
  };
  const created = portsChange('insert', createMs);
  await inFlight(names, 16, async (name) => {
    sent.set(name, performance.now());
    await write(api, 'POST', `/api/v1/namespaces/${namespace}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace, labels: { app: 'bench-churn' } },
      spec: { nodeName: ctx.node, containers: [{ name: 'c', image: 'x' }] },
      status: { phase: 'Running' },
    });
  });
  const createdAt = await created;
  ctx.progress(`pod churn: ${n} pods in the NB`);
  const d0 = performance.now();
  const deleted = portsChange('delete', deleteMs);
  await inFlight(names, 16, async (name) => {
    sent.set(name, performance.now());
    await write(api, 'DELETE', `/api/v1/namespaces/${namespace}/pods/${name}`);
  });
  const deletedAt = await deleted;
  await ctx.run.settled();
  return {
    pods: n,
    createsPerSec: Math.round(n / ((createdAt - t0) / 1000)),
    deletesPerSec: Math.round(n / ((deletedAt - d0) / 1000)),
    create: latency(createMs),
    delete: latency(deleteMs),
    touched: touched(ctx.run.passes, t0, performance.now()),
    seconds: seconds(deletedAt - t0),
  };
}

/** A NetworkPolicy created (→ its port group) and updated with an ingress rule from the namespace's pods (→ its address set), `n` times. */
export async function netpolPhase(ctx: SteadyContext, n: number): Promise<NetpolPhase> {
  const { api, watch, namespace } = ctx;
  const t0 = performance.now();
  const creates: number[] = [];
  const updates: number[] = [];
  const path = `/apis/networking.k8s.io/v1/namespaces/${namespace}/networkpolicies`;
  for (let i = 0; i < n; i++) {
    const name = `benchnp${i}`;
    const pg = policyPortGroupName(namespace, name);
    const made = watch.until('Port_Group', (c) => c.kind === 'insert' && c.row['name'] === pg, ctx.timeoutMs, `port group ${pg}`);
    let start = performance.now();
    await api.request('POST', path, { body: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec: { podSelector: {}, policyTypes: ['Ingress'] } } });
    creates.push((await made) - start);
    // The update lets in every pod of the namespace: the ingress address set fills with their IPs.
    const updated = watch.until('Address_Set', (c) => c.kind !== 'delete' && String(c.row['name']).startsWith(`${pg}.ingress.allow`) && setMembers(c.row, 'addresses').length > 0, ctx.timeoutMs, `${pg}'s ingress address set filled`);
    start = performance.now();
    await api.request('PATCH', `${path}/${name}`, {
      contentType: 'application/merge-patch+json',
      body: { spec: { ingress: [{ from: [{ podSelector: {} }], ports: [{ protocol: 'TCP', port: 80 }] }] } },
    });
    updates.push((await updated) - start);
    // Gone from the NB before the next step: a later phase must not take this delete's pass for its own.
    const gone = watch.until('Port_Group', (c) => c.kind === 'delete' && c.row['name'] === pg, ctx.timeoutMs, `port group ${pg} deleted`);
    await api.request('DELETE', `${path}/${name}`);
    await gone;
  }
  const end = performance.now();
  await ctx.run.settled();
  return { create: latency(creates), update: latency(updates), touched: touched(ctx.run.passes, t0, performance.now()), seconds: seconds(end - t0) };
}

/** Changes a namespace's `team` label (namespaceSelectors of other namespaces' policies read it), then puts it back. */
export async function relabelPhase(ctx: SteadyContext): Promise<RelabelPhase> {
  const { api, namespace } = ctx;
  const ns = await api.request<{ metadata: { labels?: Record<string, string> } }>('GET', `/api/v1/namespaces/${namespace}`);
  const team = ns.metadata.labels?.['team'] ?? null;
  const other = team === 'search' ? 'payments' : 'search';
  const patch = (value: string | null) => api.request('PATCH', `/api/v1/namespaces/${namespace}`, { contentType: 'application/merge-patch+json', body: { metadata: { labels: { team: value } } } });
  const t0 = performance.now();
  await patch(other);
  const pass = await passAfter(ctx.run.passes, t0, ctx.timeoutMs);
  const t = touched(ctx.run.passes, t0, pass.at);
  const back = performance.now();
  await patch(team);
  await passAfter(ctx.run.passes, back, ctx.timeoutMs);
  return { namespace, latencyMs: Math.round(pass.at - t0), touched: t, seconds: seconds(performance.now() - t0) };
}

/**
 * A write retried after a transport error (a keep-alive socket the busy
 * simulator closed): a retried create that already landed answers 409, a
 * retried delete 404; both mean done.
 */
async function write(api: KubeApi, method: 'POST' | 'DELETE', path: string, body?: unknown): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await api.request(method, path, body === undefined ? {} : { body });
      return;
    } catch (err) {
      if (attempt > 1 && err instanceof ApiError && (err.status === 409 || err.status === 404)) return;
      if (!(err instanceof ApiError) || err.status !== 0 || attempt >= 3) throw err;
    }
  }
}

async function inFlight<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, lane));
}
