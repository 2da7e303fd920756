/** What plan() takes and returns (src/nb/plan.ts). */
import type { Operation, Row, RowData } from '../ovsdb/types.js';
import type { DesiredConflict, DesiredRow } from './desired.js';
import { NB_TABLES, type NbTable } from './rows.js';
import type { Scope } from './scope.js';

export type ExistingRows = Partial<Record<NbTable, readonly Row[]>>;

export interface PlanOptions {
  /** external_ids:vendor of rows ovnscale owns (default deployment: kube-ovn). */
  vendor: string;
  /**
   * Remove our-vendor rows nothing wants (default true): roots, and children
   * under a parent that is desired. Turn off when `desired` covers only part of the NB.
   */
  prune?: boolean;
  /** Our-vendor rows never to remove (Kube-OVN features ovnscale does not manage; see ownership.ts). */
  keep?: (table: NbTable, row: Row) => boolean;
  /**
   * New children of an existing parent are emitted in groups of at most this
   * many inserts, each followed by the one parent mutate that holds them
   * (default 500), so chunkOperations can cut transactions between groups.
   */
  batchSize?: number;
  /**
   * Leave for the next plan what would tie many inserts together through
   * named-uuids: children of a parent inserted in this plan, and references
   * to rows inserted in this plan. `deferred` counts them; apply, then plan
   * again (from the updated cache) until it is 0. Every operation group then
   * stays within batchSize + 1 operations. Default false: one plan says everything.
   *
   * Two exceptions keep rows written once, complete: the new children of a
   * new parent with at most batchSize of them ride in the parent's insert
   * (a port group and its ACLs), and such a parent that names rows still to
   * be inserted waits for them instead of being inserted without them and
   * updated a round later (192k port groups at 150k pods: the update round
   * alone cost the server 17 s).
   */
  deferNew?: boolean;
  /**
   * A scoped plan (a steady-state pass) plans only the rows in `desired`;
   * the rest of the desired state is reached here, so parents and
   * references outside the scope resolve to the rows the NB holds for them.
   */
  outside?: (table: NbTable, key: string) => DesiredRow | undefined;
  /**
   * Identities another writer on this NB is writing now (rows written ahead
   * while the cluster is listed): one the NB does not hold yet, or holds
   * under another parent, is left to the next plan (deferred) instead of
   * being inserted twice. Rows the NB holds are planned as usual: both
   * writers want the same values.
   */
  pending?: (table: NbTable, key: string) => boolean;
  /**
   * With deferNew: new rows get these client-chosen uuids (the insert's
   * `uuid` member, OVSDB 2.13+) instead of named-uuids, so a later
   * transaction of the same plan can name them. A parent's large family is
   * then inserted in groups under it, and a new root row naming new rows
   * rides after them, in this plan instead of the next: a cold sync is one
   * round. PlanResult.groups says which operations share a transaction.
   */
  rowUuids?: () => string;
  /**
   * Told of each row the NB holds that the plan keeps for a desired row,
   * with that row's desired values (the caller shares them into the cache,
   * DatabaseCache.share, so equal values are held once).
   */
  kept?: (table: NbTable, uuid: string, desired: RowData) => void;
}

export interface TableCounts {
  insert: number;
  update: number;
  delete: number;
}

export interface PlanResult {
  ops: Operation[];
  counts: Record<NbTable, TableCounts>;
  /** Desired rows that could not be planned (identity held by another vendor, missing parent, conflicting producers). */
  conflicts: DesiredConflict[];
  /** Rows and references left for the next plan (deferNew). */
  deferred: number;
  /** The identities the next plan must cover (deferred rows, and rows whose references were deferred): its scope. */
  deferredScope: Scope;
  /** With rowUuids: the sizes of the consecutive operation groups that must each go in one transaction (chunkGroups). */
  groups?: number[];
}

export function emptyCounts(): Record<NbTable, TableCounts> {
  const c = {} as Record<NbTable, TableCounts>;
  for (const t of NB_TABLES) c[t] = { insert: 0, update: 0, delete: 0 };
  return c;
}
