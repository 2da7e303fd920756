/** Shared types and small builders of the desired-state functions. */
import type { DesiredRow } from '../../nb/desired.js';
import { LR_KEY, LS_KEY, VENDOR_KEY } from '../../nb/naming.js';
import type { ValidationError } from '../validation.js';

export interface ClusterConfig {
  /** external_ids:vendor written on every row (default kube-ovn). */
  vendor: string;
  /** Logical_Router of the default VPC (ovn-cluster). */
  clusterRouter: string;
  /** Name of the join subnet/switch (join). */
  nodeSwitch: string;
}

/** What every desired-state function returns: rows, and the objects it skipped. */
export interface DesiredOutput {
  rows: DesiredRow[];
  errors: ValidationError[];
}

/**
 * `ids`, then `extra` and the vendor, copied key by key: V8 gives a spread of
 * an object made with a computed key (`{ ...ids, [K]: v }` of
 * `{ [NP_KEY]: x }`) a hidden class of its own, ~200 bytes more for each of
 * the ~55k policy ACLs and address sets at 150k pods; objects built by
 * assignment share theirs.
 */
function idsWith(cfg: ClusterConfig, ids: Record<string, string>, extra?: readonly [string, string]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in ids) out[k] = ids[k]!;
  if (extra) out[extra[0]] = extra[1];
  out[VENDOR_KEY] = cfg.vendor;
  return out;
}

export function vendorIds(cfg: ClusterConfig, ids: Record<string, string> = {}): Record<string, string> {
  return idsWith(cfg, ids);
}

/** Ids Kube-OVN puts on every LSP (CreateLogicalSwitchPortOp). */
export function lspIds(cfg: ClusterConfig, ls: string, more: Record<string, string> = {}): Record<string, string> {
  return idsWith(cfg, more, [LS_KEY, ls]);
}

/** Ids Kube-OVN puts on every LRP (CreateLogicalRouterPortOp). */
export function lrpIds(cfg: ClusterConfig, lr: string): Record<string, string> {
  return vendorIds(cfg, { [LR_KEY]: lr });
}

/** A deterministic MAC for a router port, used only when the port is created. */
export function routerPortMac(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193);
  const b = (n: number) => ((h >>> n) & 255).toString(16).padStart(2, '0');
  return `00:00:00:${b(16)}:${b(8)}:${b(0)}`;
}
