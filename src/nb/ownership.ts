/**
 * Rows Kube-OVN writes with vendor kube-ovn for features ovnscale does not
 * implement (security groups, admin/cluster network policies, U2O
 * interconnection, IP pools, node-local DNS). Passed to plan() as `keep`, so
 * taking over a Kube-OVN NB does not tear those features down.
 */
import type { Row } from '../ovsdb/types.js';
import type { NbTable } from './rows.js';
import { isMap } from './compare.js';

const FEATURE_KEYS = ['sg', 'security_groups', 'u2o', 'anp', 'banp', 'cnp', 'ippool', 'isLocalDnsCache'];

export function kubeOvnFeatureRow(_table: NbTable, row: Row): boolean {
  const ids = row['external_ids'];
  if (isMap(ids)) {
    for (const k of FEATURE_KEYS) if (k in ids) return true;
    if (ids['type'] === 'security_group') return true;
  }
  const name = row['name'];
  return typeof name === 'string' && name.startsWith('ovn.sg.');
}
