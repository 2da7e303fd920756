import type { VmimRecord, VmiRecord } from '../../k8s/records.js';
import { podPortName } from '../../nb/naming.js';

/**
 * Live migration as the VM's logical port sees it. The port is named after
 * the VM (`<vm>.<ns>`), not after a launcher pod, so the source and target
 * pods share it and the options below apply to a VM's first migration
 * exactly as to any later one: nothing here reads pod annotations, which a
 * VM's first launcher pod never carries (the cause of the 18 s first-time
 * outage in the field).
 */
export type MigrationStage = 'none' | 'scheduled' | 'succeeded' | 'failed';

export interface MigrationPlan {
  /** `ns/name` of the VMI. */
  vmi: string;
  lsp: string;
  stage: MigrationStage;
  /** The migration object's uid ('' when none). */
  migration: string;
  source: string;
  target: string;
  /** Where the VM runs when no migration is under way. */
  node: string;
}

export const REQUESTED_CHASSIS = 'requested-chassis';
export const ACTIVATION_STRATEGY = 'activation-strategy';

const FINAL = new Set(['Succeeded', 'Failed']);

/**
 * @param migrations the VMIMs of this VMI's namespace naming it
 * @param targetPodNode node of the target launcher pod of a migration uid, once scheduled
 */
export function migrationPlan(
  vmi: VmiRecord,
  migrations: readonly VmimRecord[],
  targetPodNode: (migrationUid: string) => string | undefined,
): MigrationPlan {
  const ms = vmi.migrationState;
  const base = { vmi: `${vmi.namespace}/${vmi.name}`, lsp: podPortName(vmi.name, vmi.namespace), node: vmi.nodeName };
  // KubeVirt runs one migration per VMI at a time: an unfinished one wins.
  const active = migrations.find((m) => !FINAL.has(m.phase) && !m.deleting);
  if (active) {
    const ours = ms?.migrationUid === active.uid;
    const source = (ours && ms?.sourceNode) || vmi.nodeName;
    const target = (ours && ms?.targetNode) || targetPodNode(active.uid) || '';
    if (ours && ms?.failed) return { ...base, stage: 'failed', migration: active.uid, source, target };
    if (ours && ms?.completed) return { ...base, stage: 'succeeded', migration: active.uid, source, target };
    if (target && target !== source) return { ...base, stage: 'scheduled', migration: active.uid, source, target };
    return { ...base, stage: 'none', migration: active.uid, source, target };
  }
  if (!ms) return { ...base, stage: 'none', migration: '', source: vmi.nodeName, target: '' };
  const done = migrations.find((m) => m.uid === ms.migrationUid);
  const failed = ms.failed || done?.phase === 'Failed';
  const succeeded = !failed && (ms.completed || done?.phase === 'Succeeded');
  const stage: MigrationStage = failed ? 'failed' : succeeded ? 'succeeded' : 'none';
  return { ...base, stage, migration: ms.migrationUid, source: ms.sourceNode || vmi.nodeName, target: ms.targetNode };
}

export interface OptionChange {
  set: Record<string, string>;
  remove: string[];
}

/** What the port's options must become; undefined when they are right already. */
export function migrationOptions(plan: MigrationPlan, current: Readonly<Record<string, string>>): OptionChange | undefined {
  let want: Record<string, string | undefined>;
  switch (plan.stage) {
    case 'scheduled':
      want = { [REQUESTED_CHASSIS]: `${plan.source},${plan.target}`, [ACTIVATION_STRATEGY]: 'rarp' };
      break;
    case 'succeeded':
      want = { [REQUESTED_CHASSIS]: plan.target || plan.node, [ACTIVATION_STRATEGY]: undefined };
      break;
    case 'failed':
      want = { [REQUESTED_CHASSIS]: plan.source, [ACTIVATION_STRATEGY]: undefined };
      break;
    case 'none': {
      // Leftovers of an interrupted migration go; a port never migrated is left alone.
      const leftover = current[ACTIVATION_STRATEGY] !== undefined || (current[REQUESTED_CHASSIS] ?? '').includes(',');
      if (!leftover || !plan.node) return undefined;
      want = { [REQUESTED_CHASSIS]: plan.node, [ACTIVATION_STRATEGY]: undefined };
      break;
    }
  }
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const [k, v] of Object.entries(want)) {
    if (v === undefined) {
      if (current[k] !== undefined) remove.push(k);
    } else if (current[k] !== v) {
      set[k] = v;
    }
  }
  return Object.keys(set).length || remove.length ? { set, remove } : undefined;
}

/** Chassis a stage expects in the Southbound Port_Binding: the main one, and the additional ones. */
export function expectedChassis(plan: MigrationPlan): { main: string; additional: string[] } | undefined {
  switch (plan.stage) {
    case 'scheduled':
      return { main: plan.source, additional: [plan.target] };
    case 'succeeded':
      return { main: plan.target || plan.node, additional: [] };
    case 'failed':
      return { main: plan.source, additional: [] };
    case 'none':
      return undefined;
  }
}
