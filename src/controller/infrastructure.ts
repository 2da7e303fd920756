/**
 * The rows that depend only on Subnets and Nodes, written while the pods are
 * still being listed: the cluster router, the subnets' switches and router
 * ports, the nodes' join ports and every node's router policies. At 2000
 * nodes × 100 subnets that is 186k of a cold sync's 576k rows, and the
 * router's 184k policies are the costliest inserts for ovsdb-server, which
 * is otherwise idle until the whole desired state is computed.
 *
 * Only what the full pass would write the same way: nodes whose join address
 * is already recorded (a new node's comes from the full pass's IPAM), no port
 * groups (their members are pods), no ACLs, the switches without their load
 * balancers (those depend on Services). Nothing is removed. The full pass
 * may plan while this still writes: its first round leaves these rows to
 * its second (PlanOptions.pending), planned once this has settled, so none
 * is written twice; when this fails, the full pass writes them.
 */
import type { NodeRecord, PodRecord, SubnetRecord } from '../k8s/records.js';
import type { Reflector } from '../k8s/reflector.js';
import { DesiredState, type DesiredRow, type DesiredSource } from '../nb/desired.js';
import type { NbTable } from '../nb/rows.js';
import type { OvsdbClient } from '../ovsdb/index.js';
import type { Logger } from '../util/log.js';
import { converge, type Converged, type Pending } from './converge.js';
import { desiredNodes, desiredSubnets, type PodPlacement } from './desired/index.js';
import { Ipam, nodeOwner } from './ipam/ipam.js';
import type { ControllerMetrics } from './metrics.js';
import { clusterConfig, effectiveSubnets, type ControllerOptions } from './options.js';
import { parseSubnets } from './subnet-spec.js';

const TABLES = new Set<NbTable>(['Logical_Router', 'Logical_Switch', 'Logical_Switch_Port', 'Logical_Router_Port', 'Logical_Router_Policy']);
/** Written without its reference sets (a switch's load balancers depend on Services), so never as the full pass wants it. */
const PARTIAL: NbTable = 'Logical_Switch';
const NO_PODS: PodPlacement = { onNode: () => [], inSubnetOnNode: () => [] };

/** The Subnet- and Node-only rows of the desired state, as the full pass computes them (pure). */
export function infrastructureRows(subnets: readonly SubnetRecord[], nodes: readonly NodeRecord[], o: ControllerOptions): DesiredState {
  const cfg = clusterConfig(o);
  const records = effectiveSubnets(subnets, o);
  const parsed = parseSubnets(records).subnets;
  const ipam = new Ipam();
  ipam.setSubnets(records);
  ipam.recoverNodes(nodes, o.nodeSwitch);
  const out = new DesiredState();
  const take = (rows: readonly DesiredRow[]) => {
    for (const r of rows) {
      if (!TABLES.has(r.table)) continue;
      out.add(r.table === PARTIAL ? { table: r.table, key: r.key, row: r.row } : r);
    }
  };
  take(desiredSubnets(parsed, cfg).rows);
  // A node at a time: the port groups left out (187k at 2000 nodes × 100 subnets) die young rather than being promoted.
  for (const n of nodes) take(desiredNodes([n], (x) => ipam.get(nodeOwner(x)), parsed, NO_PODS, cfg).rows);
  return out;
}

export interface InfrastructureWrite extends Pick<Converged, 'operations' | 'transactions' | 'plan'> {
  ms: number;
}

type Deps = { log: Logger; metrics?: ControllerMetrics; isLeader?: () => boolean };

/** Writes the rows; never throws (the full pass writes whatever this did not). */
async function writeRows(desired: DesiredState, nb: OvsdbClient, o: ControllerOptions, deps: Deps): Promise<InfrastructureWrite | undefined> {
  const t = performance.now();
  try {
    const c = await converge(desired, nb, { ...o, dryRun: false, prune: false }, deps);
    const ms = performance.now() - t;
    deps.log.info('infrastructure written', { rows: desired.size, operations: c.operations, transactions: c.transactions, ms: Math.round(ms) });
    return { operations: c.operations, transactions: c.transactions, plan: c.plan, ms };
  } catch (err) {
    deps.log.warn('infrastructure not written ahead; the full pass writes it', { err });
    return undefined;
  }
}

/** Writes the Subnet- and Node-only rows of these objects now. */
export function writeInfrastructure(subnets: readonly SubnetRecord[], nodes: readonly NodeRecord[], nb: OvsdbClient, o: ControllerOptions, deps: Deps): Promise<InfrastructureWrite | undefined> {
  return writeRows(infrastructureRows(subnets, nodes, o), nb, o, deps);
}

/** A write ahead: the rows it writes and the records they come from, from the moment it starts writing (none if it never does), and its outcome. */
export interface AheadWrite {
  rows?: DesiredSource;
  inputs?: { subnets: readonly SubnetRecord[]; nodes: readonly NodeRecord[] };
  done: Promise<InfrastructureWrite | undefined>;
}

function sameRecords<R>(a: readonly R[], b: readonly R[]): boolean {
  if (a.length !== b.length) return false;
  const s = new Set(a);
  return b.every((r) => s.has(r));
}

/**
 * The identities a settled write ahead left exactly as the full pass wants
 * them, which that pass need not plan again: all it wrote but the switches
 * (written without their load balancers), provided it wrote everything
 * without conflict from the very record objects the full pass computed
 * from (the same pure functions then give the same rows). Undefined when
 * not known: the full pass plans them all again.
 */
export function writtenAsDesired(
  ahead: AheadWrite,
  result: InfrastructureWrite | undefined,
  from: { subnets: readonly SubnetRecord[]; nodes: readonly NodeRecord[] },
): ((table: NbTable, key: string) => boolean) | undefined {
  const { rows, inputs } = ahead;
  if (!result || !rows || !inputs || result.plan.conflicts.length > 0) return undefined;
  if (!sameRecords(inputs.subnets, from.subnets) || !sameRecords(inputs.nodes, from.nodes)) return undefined;
  return (table, key) => table !== PARTIAL && rows.get(table, key) !== undefined;
}

/**
 * Writes them as soon as the Nodes and Subnets are listed and the NB has
 * replicated, while the pods are still being listed. Nothing when the pods
 * are listed by then (a large NB takes longer to replicate than the list,
 * and then the full pass plans as soon as this would), when this replica is
 * not leading, or when a list fails: the full pass covers them all. The full
 * pass may start while this still writes: it leaves these rows to its next
 * round (PlanOptions.pending).
 */
export function writeInfrastructureWhenListed(
  lists: { nodes: Reflector<NodeRecord>; subnets: Reflector<SubnetRecord>; pods: Reflector<PodRecord> },
  nb: Promise<OvsdbClient>,
  o: ControllerOptions,
  deps: Deps,
): AheadWrite {
  const ahead: AheadWrite = { done: Promise.resolve(undefined) };
  ahead.done = (async () => {
    try {
      await Promise.all([lists.nodes.waitForSync(600_000), lists.subnets.waitForSync(600_000)]);
      const client = await nb;
      if (lists.pods.hasSynced() || (deps.isLeader && !deps.isLeader())) return undefined;
      // Published before the first write, in the same turn as the check above: a full pass that finds no rows here knows none will be written.
      const inputs = { subnets: [...lists.subnets.store.values()], nodes: [...lists.nodes.store.values()] };
      const rows = infrastructureRows(inputs.subnets, inputs.nodes, o);
      ahead.rows = rows;
      ahead.inputs = inputs;
      return await writeRows(rows, client, o, deps);
    } catch {
      return undefined;
    }
  })();
  return ahead;
}

/** What the full pass leaves to a write ahead under way (converge's `pending`); undefined when it writes nothing. */
export function pendingOf(ahead: AheadWrite | undefined, from: { subnets: readonly SubnetRecord[]; nodes: readonly NodeRecord[] }): Pending | undefined {
  const rows = ahead?.rows;
  if (!ahead || !rows) return undefined;
  return { has: (table, key) => rows.get(table, key) !== undefined, settled: ahead.done.then((r) => writtenAsDesired(ahead, r, from)) };
}
