import { describe, expect, it } from 'vitest';
import { annotationPatches } from '../../src/controller/allocation.js';
import { Ipam } from '../../src/controller/ipam/ipam.js';
import { ClusterModel, emptyDirty, type ClusterSnapshot, type DirtyKeys } from '../../src/controller/model/cluster-model.js';
import { DEFAULT_OPTIONS, type ControllerOptions } from '../../src/controller/options.js';
import type { EndpointSliceRecord, NamespaceRecord, NetworkPolicyRecord, NodeRecord, ObjectRecord, PodRecord, ServiceRecord, SubnetRecord } from '../../src/k8s/records.js';
import { VM_NAME_LABEL } from '../../src/k8s/kubevirt.js';
import { recordKey } from '../../src/k8s/resources.js';
import { sameDesired } from '../../src/nb/desired-units.js';
import { NB_COLUMNS, NB_TABLES } from '../../src/nb/rows.js';
import { generatedSnapshot } from '../support/generated.js';

const O: ControllerOptions = { ...DEFAULT_OPTIONS, wasmWorkers: 0 };

/** A cluster as mutable stores, like the reflectors hold. */
class Stores {
  subnets = new Map<string, SubnetRecord>();
  nodes = new Map<string, NodeRecord>();
  namespaces = new Map<string, NamespaceRecord>();
  pods = new Map<string, PodRecord>();
  services = new Map<string, ServiceRecord>();
  endpointSlices = new Map<string, EndpointSliceRecord>();
  policies = new Map<string, NetworkPolicyRecord>();
  dirty: DirtyKeys = emptyDirty();

  constructor(seed: number) {
    const put = <R extends ObjectRecord>(m: Map<string, R>, rs: readonly R[]) => rs.forEach((r) => m.set(recordKey(r), r));
    const g = generatedSnapshot({ seed, nodes: 5, pods: 400, namespaces: 6, policies: 30, services: 25, subnets: 3 });
    put(this.subnets, g.subnets);
    put(this.nodes, g.nodes);
    put(this.namespaces, g.namespaces);
    put(this.pods, g.pods);
    put(this.services, g.services);
    put(this.endpointSlices, g.endpointSlices);
    put(this.policies, g.policies);
  }

  snapshot(): ClusterSnapshot {
    return {
      subnets: [...this.subnets.values()],
      nodes: [...this.nodes.values()],
      namespaces: [...this.namespaces.values()],
      pods: [...this.pods.values()],
      services: [...this.services.values()],
      endpointSlices: [...this.endpointSlices.values()],
      policies: [...this.policies.values()],
    };
  }

  set<R extends ObjectRecord>(kind: keyof DirtyKeys, m: Map<string, R>, r: R): void {
    m.set(recordKey(r), r);
    this.dirty[kind].add(recordKey(r));
  }

  remove<R extends ObjectRecord>(kind: keyof DirtyKeys, m: Map<string, R>, key: string): void {
    m.delete(key);
    this.dirty[kind].add(key);
  }

  /** The IPAM write-back, as the API server would then hold it (and report as pod/node events). */
  writeBack(ipam: Ipam, pods: Iterable<PodRecord>, nodes: Iterable<NodeRecord>): void {
    for (const p of annotationPatches(ipam, pods, nodes)) {
      const key = p.namespace ? `${p.namespace}/${p.name}` : p.name;
      if (p.kind === 'Pod') {
        const cur = this.pods.get(key);
        if (cur) this.set('pods', this.pods, { ...cur, annotations: { ...cur.annotations, ...p.annotations } });
      } else {
        const cur = this.nodes.get(key);
        if (cur) this.set('nodes', this.nodes, { ...cur, annotations: { ...cur.annotations, ...p.annotations } });
      }
    }
  }
}

/** A deterministic pseudo-random sequence. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;

function service(name: string, namespace: string, ip: string, port: number, selector: Record<string, string>): ServiceRecord {
  return { uid: name, name, namespace, resourceVersion: '1', labels: {}, annotations: {}, deleting: false, type: 'ClusterIP', clusterIPs: [ip], ports: [{ protocol: 'TCP', port }], selector };
}

/** One random change of one object. */
function mutate(c: Stores, r: () => number, n: number): void {
  const pods = [...c.pods.values()];
  const op = Math.floor(r() * 15);
  const solo = pods.filter((p) => p.labels['solo'] !== undefined);
  switch (op) {
    case 12: {
      // A pod only a new Service selects: the Service feeds exactly the peers that pod meets.
      const p = pick(r, pods);
      const annotations = Object.fromEntries(Object.entries(p.annotations).filter(([k]) => !k.startsWith('ovn.kubernetes.io/')));
      c.set('pods', c.pods, { ...p, uid: `solo-${n}`, name: `${p.name}-solo${n}`, annotations, podIPs: [], labels: { ...p.labels, solo: `s${n}` } });
      c.set('services', c.services, service(`solo-${n}`, p.namespace, `10.96.${100 + (n % 50)}.${n % 250}`, 8080, { solo: `s${n}` }));
      break;
    }
    case 13:
      if (solo.length > 0) {
        const p = pick(r, solo);
        const other = pick(r, pods.filter((x) => x.namespace === p.namespace));
        c.set('pods', c.pods, { ...p, labels: { ...other.labels, solo: p.labels['solo']! } });
      }
      break;
    case 14:
      if (solo.length > 0) c.remove('pods', c.pods, recordKey(pick(r, solo)));
      break;
    case 0:
    case 1: {
      const p = pick(r, pods);
      const annotations = Object.fromEntries(Object.entries(p.annotations).filter(([k]) => !k.startsWith('ovn.kubernetes.io/')));
      c.set('pods', c.pods, { ...p, uid: `new-${n}`, name: `${p.name}-x${n}`, annotations, podIPs: [] });
      break;
    }
    case 2:
      c.remove('pods', c.pods, recordKey(pick(r, pods)));
      break;
    case 3: {
      const p = pick(r, pods);
      const q = pick(r, pods.filter((x) => x.namespace === p.namespace));
      c.set('pods', c.pods, { ...p, labels: { ...q.labels, extra: `v${n % 3}` } });
      break;
    }
    case 4: {
      const ns = pick(r, [...c.namespaces.values()]);
      const other = pick(r, [...c.namespaces.values()]);
      c.set('namespaces', c.namespaces, { ...ns, labels: { ...other.labels, 'kubernetes.io/metadata.name': ns.name } });
      break;
    }
    case 5: {
      const p = pick(r, pods);
      c.set('services', c.services, service(`svc-${n}`, p.namespace, `10.96.${200 + (n % 50)}.${n % 250}`, 80, Object.fromEntries(Object.entries(p.labels).slice(0, 1))));
      break;
    }
    case 6:
      c.remove('services', c.services, recordKey(pick(r, [...c.services.values()])));
      break;
    case 7: {
      const s = pick(r, [...c.endpointSlices.values()]);
      c.set('endpointSlices', c.endpointSlices, { ...s, endpoints: s.endpoints.map((e, i) => ({ ...e, ready: (i + n) % 2 === 0 })) });
      break;
    }
    case 8: {
      const np = pick(r, [...c.policies.values()]);
      c.set('policies', c.policies, { ...np, uid: `np-${n}`, name: `${np.name}-copy${n}` });
      break;
    }
    case 9: {
      const np = pick(r, [...c.policies.values()]);
      const labels = pick(r, pods).labels;
      c.set('policies', c.policies, { ...np, podSelector: { matchLabels: Object.fromEntries(Object.entries(labels).slice(0, 1)) } });
      break;
    }
    case 10:
      c.remove('policies', c.policies, recordKey(pick(r, [...c.policies.values()])));
      break;
    default: {
      const node = pick(r, [...c.nodes.values()]);
      if (r() < 0.5) c.set('nodes', c.nodes, { ...node, ready: !node.ready });
      else c.set('nodes', c.nodes, { ...node, uid: `node-${n}`, name: `${node.name}-n${n}`, annotations: {}, internalIPs: [`172.18.9.${n % 250}`] });
    }
  }
}

function expectSameUnits(a: ClusterModel, b: ClusterModel): void {
  for (const t of NB_TABLES) {
    const ka = [...a.units.rows(t)].map(([k]) => k).sort();
    const kb = [...b.units.rows(t)].map(([k]) => k).sort();
    expect(ka, t).toEqual(kb);
    for (const k of ka) {
      const x = a.units.get(t, k)!;
      const y = b.units.get(t, k)!;
      if (!sameDesired(x, y)) expect({ t, k, row: x.row, refs: x.refs }).toEqual({ t, k, row: y.row, refs: y.refs });
    }
  }
  const errs = (m: ClusterModel) => m.errors().map((e) => `${e.kind}/${e.namespace}/${e.name}/${e.field}`).sort();
  expect(errs(a)).toEqual(errs(b));
}

describe('cluster model: incremental updates reach what a full rebuild computes', () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: 60 batches of random changes`, async () => {
      const c = new Stores(seed);
      const ipam = new Ipam();
      const live = new ClusterModel(O, ipam);
      await live.rebuild(c.snapshot());
      c.writeBack(ipam, c.pods.values(), c.nodes.values());
      const r = rng(seed);
      let scoped = 0;
      for (let batch = 0; batch < 60; batch++) {
        for (let i = 0; i < 1 + Math.floor(r() * 4); i++) mutate(c, r, batch * 10 + i);
        const dirty = c.dirty;
        c.dirty = emptyDirty();
        const u = await live.update(dirty, c);
        for (const s of u.scope.values()) scoped += s.size;
        c.writeBack(ipam, u.pods, u.nodes);
      }
      // The write-back events of the last batch.
      const dirty = c.dirty;
      c.dirty = emptyDirty();
      await live.update(dirty, c);

      const fresh = new ClusterModel(O, new Ipam());
      await fresh.rebuild(c.snapshot());
      expectSameUnits(live, fresh);
      expect(scoped).toBeGreaterThan(0);
      expect(scoped).toBeLessThan(fresh.units.size);
      live.dispose();
      fresh.dispose();
    });
  }
});

describe('replicated NB columns', () => {
  it('every column a desired row owns, references or holds children in is replicated (NB_COLUMNS)', async () => {
    const c = new Stores(7);
    const m = new ClusterModel(O, new Ipam());
    await m.rebuild(c.snapshot());
    const missing = new Set<string>();
    for (const t of NB_TABLES) {
      for (const [, d] of m.units.rows(t)) {
        for (const col of [...Object.keys(d.row), ...Object.keys(d.refs ?? {})]) if (!NB_COLUMNS[t].includes(col)) missing.add(`${t}.${col}`);
        if (d.parent && !NB_COLUMNS[d.parent.table].includes(d.parent.column)) missing.add(`${d.parent.table}.${d.parent.column}`);
      }
    }
    expect([...missing]).toEqual([]);
    m.dispose();
  });
});

describe('cluster model: release', () => {
  it('lets go of every unit and desired row (the controller stop, before packing its state file)', async () => {
    const m = new ClusterModel(O, new Ipam());
    await m.rebuild(new Stores(5).snapshot());
    expect(m.units.size).toBeGreaterThan(0);
    m.release();
    expect(m.units.size).toBe(0);
    expect([...m.units.unitIds()]).toEqual([]);
    expect(m.units.conflicts).toEqual([]);
    for (const t of NB_TABLES) expect(m.units.count(t)).toBe(0);
  });
});

describe('cluster model: a VM address held by two launcher pods', () => {
  it('is released only when the last of them is gone', async () => {
    const c = new Stores(4);
    const base = [...c.pods.values()][0]!;
    const annotations = Object.fromEntries(Object.entries(base.annotations).filter(([k]) => !k.startsWith('ovn.kubernetes.io/')));
    const launcher = (suffix: string): PodRecord => ({
      ...base,
      uid: `vm1-${suffix}`,
      name: `virt-launcher-vm1-${suffix}`,
      annotations,
      podIPs: [],
      labels: { ...base.labels, 'kubevirt.io': 'virt-launcher', [VM_NAME_LABEL]: 'vm1' },
    });
    const owner = `${base.namespace}/vm1`;
    const ipam = new Ipam();
    const live = new ClusterModel(O, ipam);
    const src = launcher('a');
    c.pods.set(recordKey(src), src);
    await live.rebuild(c.snapshot());
    const ip = ipam.get(owner)?.ip;
    expect(ip).toBeDefined();
    const pass = async () => {
      const dirty = c.dirty;
      c.dirty = emptyDirty();
      await live.update(dirty, c);
    };
    c.set('pods', c.pods, launcher('b'));
    await pass();
    c.remove('pods', c.pods, recordKey(src));
    await pass();
    expect(ipam.get(owner)?.ip).toBe(ip);
    c.remove('pods', c.pods, recordKey(launcher('b')));
    await pass();
    expect(ipam.get(owner)).toBeUndefined();
    live.dispose();
  });
});
