/**
 * What KubeVirt's controllers do to the API during a live migration, for
 * tests and benchmarks: a VirtualMachineInstanceMigration, then a target
 * virt-launcher pod on the target node, then the VMI's migrationState and
 * the migration's phase when it ends. Everything goes through the API server.
 */
import { MIGRATION_JOB_LABEL, VM_NAME_LABEL } from '../k8s/kubevirt.js';
import { Pods, resourcePath, Vmims, Vmis } from '../k8s/resources.js';
import type { KubeApi } from '../k8s/transport.js';
import { MERGE_PATCH } from './patch.js';

export async function createVmi(api: KubeApi, ns: string, vm: string, node: string): Promise<void> {
  await api.request('POST', resourcePath(Vmis, ns), {
    body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstance', metadata: { name: vm, namespace: ns }, spec: {}, status: { nodeName: node, phase: 'Running' } },
  });
}

export interface StartedMigration {
  ns: string;
  vm: string;
  id: string;
  uid: string;
  source: string;
  target: string;
  /** performance.now() just before the target pod was written: the migration is scheduled from there. */
  scheduledAt: number;
}

export async function startMigration(api: KubeApi, ns: string, vm: string, id: string, source: string, target: string): Promise<StartedMigration> {
  const vmim = await api.request<{ metadata: { uid: string } }>('POST', resourcePath(Vmims, ns), {
    body: { apiVersion: 'kubevirt.io/v1', kind: 'VirtualMachineInstanceMigration', metadata: { name: id, namespace: ns }, spec: { vmiName: vm }, status: { phase: 'Scheduling' } },
  });
  const scheduledAt = performance.now();
  await api.request('POST', resourcePath(Pods, ns), {
    body: {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `virt-launcher-${vm}-${id}`,
        namespace: ns,
        labels: { 'kubevirt.io': 'virt-launcher', [VM_NAME_LABEL]: vm, [MIGRATION_JOB_LABEL]: vmim.metadata.uid },
      },
      spec: { nodeName: target, containers: [{ name: 'compute', image: 'virt-launcher' }] },
      status: { phase: 'Pending' },
    },
  });
  return { ns, vm, id, uid: vmim.metadata.uid, source, target, scheduledAt };
}

/** Ends a migration as KubeVirt reports it; returns performance.now() from before the first write. */
export async function finishMigration(api: KubeApi, m: StartedMigration, ok: boolean): Promise<number> {
  const t0 = performance.now();
  await api.request('PATCH', `${resourcePath(Vmis, m.ns, m.vm)}/status`, {
    contentType: MERGE_PATCH,
    body: {
      status: {
        nodeName: ok ? m.target : m.source,
        migrationState: { migrationUid: m.uid, sourceNode: m.source, targetNode: m.target, targetPod: `virt-launcher-${m.vm}-${m.id}`, completed: ok, failed: !ok },
      },
    },
  });
  await api.request('PATCH', `${resourcePath(Vmims, m.ns, m.id)}/status`, { contentType: MERGE_PATCH, body: { status: { phase: ok ? 'Succeeded' : 'Failed' } } });
  return t0;
}
