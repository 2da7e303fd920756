/**
 * IPAM at the controller's edge: which subnet a pod belongs to, allocating
 * the pods and nodes that have no address yet, and writing the results back
 * as Kube-OVN's annotations so the Kube-OVN CNI daemon keeps working beside us.
 */
import type { KubeWriter } from '../k8s/writer.js';
import type { NodeRecord, PodRecord, SubnetRecord } from '../k8s/records.js';
import { recordKey } from '../k8s/resources.js';
import type { Logger } from '../util/log.js';
import type { PatchRetries } from './patch-retry.js';
import { podNeedsPort } from './desired/pods.js';
import { allocationAnnotations, ANN } from './ipam/annotations.js';
import { nodeOwner, podOwner, type Ipam } from './ipam/ipam.js';
import type { ControllerOptions } from './options.js';
import type { ValidationError } from './validation.js';

/** Kube-OVN's order: the pod's own annotation, a Subnet that lists its namespace, the default subnet. */
export function subnetForPod(pod: PodRecord, subnets: readonly SubnetRecord[], o: ControllerOptions): string {
  const explicit = pod.annotations[ANN.logicalSwitch];
  if (explicit) return explicit;
  const byNs = subnets.find((s) => !s.deleting && s.namespaces.includes(pod.namespace));
  return byNs?.name ?? o.defaultSubnet;
}

export interface AllocationResult {
  /** Pods and nodes given an address now. */
  allocated: number;
  errors: ValidationError[];
}

/** Allocates every pod (needing a port) and node without an address; synchronous, so never two owners per IP. */
export function allocateMissing(ipam: Ipam, pods: Iterable<PodRecord>, nodes: Iterable<NodeRecord>, subnets: readonly SubnetRecord[], o: ControllerOptions): AllocationResult {
  const errors: ValidationError[] = [];
  let allocated = 0;
  for (const n of nodes) {
    if (n.deleting || ipam.get(nodeOwner(n))) continue;
    const r = ipam.allocate(nodeOwner(n), o.nodeSwitch, { kind: 'Node', namespace: '', name: n.name });
    if (r.ok) allocated++;
    else errors.push(r.error);
  }
  for (const p of pods) {
    if (!podNeedsPort(p) || ipam.get(podOwner(p))) continue;
    const r = ipam.allocate(podOwner(p), subnetForPod(p, subnets, o), { kind: 'Pod', namespace: p.namespace, name: p.name });
    if (r.ok) allocated++;
    else errors.push(r.error);
  }
  return { allocated, errors };
}

export interface AnnotationPatch {
  kind: 'Pod' | 'Node';
  namespace: string;
  name: string;
  annotations: Record<string, string>;
}

/** The annotation patches that bring pods and nodes in line with IPAM (pods marked routed: their LSP exists). */
export function annotationPatches(ipam: Ipam, pods: Iterable<PodRecord>, nodes: Iterable<NodeRecord>): AnnotationPatch[] {
  const out: AnnotationPatch[] = [];
  for (const n of nodes) {
    const a = ipam.get(nodeOwner(n));
    if (!a || n.deleting) continue;
    const ann = allocationAnnotations(a, { routed: false }, n.annotations);
    if (Object.keys(ann).length) out.push({ kind: 'Node', namespace: '', name: n.name, annotations: ann });
  }
  for (const p of pods) {
    const a = ipam.get(podOwner(p));
    if (!a || !podNeedsPort(p)) continue;
    const ann = allocationAnnotations(a, { routed: true }, p.annotations);
    if (Object.keys(ann).length) out.push({ kind: 'Pod', namespace: p.namespace, name: p.name, annotations: ann });
  }
  return out;
}

/** Patches in flight per --worker-num worker. */
const PATCHES_PER_WORKER = 8;

/**
 * IPAM results of these pods and nodes written back as annotations, with
 * `workers` × PATCHES_PER_WORKER requests in flight; each failure is logged
 * and, with `patches`, the object is tried again after its backoff; a
 * success clears it there.
 */
export async function writeBack(
  writer: KubeWriter,
  ipam: Ipam,
  objects: { pods: Iterable<PodRecord>; nodes: Iterable<NodeRecord> },
  o: { workers: number; log: Logger; patches?: PatchRetries },
): Promise<{ sent: number; failed: number }> {
  const { patches } = o;
  const sent = patches && ((p: AnnotationPatch) => patches.succeeded(p.kind, recordKey(p)));
  const r = await sendPatches(writer, annotationPatches(ipam, objects.pods, objects.nodes), o.workers * PATCHES_PER_WORKER, sent);
  for (const f of r.failed) {
    const retryMs = patches?.failed(f.patch.kind, recordKey(f.patch));
    o.log.warn('annotation patch failed', { kind: f.patch.kind, namespace: f.patch.namespace, name: f.patch.name, err: f.err.message, ...(retryMs !== undefined ? { retryMs } : {}) });
  }
  return { sent: r.sent, failed: r.failed.length };
}

/** Sends patches with at most `concurrency` in flight; failures are returned, never thrown. */
export async function sendPatches(
  writer: KubeWriter,
  patches: readonly AnnotationPatch[],
  concurrency: number,
  onSent?: (patch: AnnotationPatch) => void,
): Promise<{ sent: number; failed: { patch: AnnotationPatch; err: Error }[] }> {
  let next = 0;
  let sent = 0;
  const failed: { patch: AnnotationPatch; err: Error }[] = [];
  const worker = async () => {
    while (next < patches.length) {
      const p = patches[next++]!;
      try {
        if (p.kind === 'Pod') await writer.patchPodAnnotations(p.namespace, p.name, p.annotations);
        else await writer.patchNodeAnnotations(p.name, p.annotations);
        sent++;
        onSent?.(p);
      } catch (err) {
        failed.push({ patch: p, err: err as Error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, patches.length) }, worker));
  return { sent, failed };
}
