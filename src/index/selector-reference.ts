/**
 * Kubernetes label selector semantics in plain TypeScript, written from the
 * API reference (metav1.LabelSelector): the oracle the wasm index is tested
 * against, and the "naive" benchmark baseline.
 *   - matchLabels and matchExpressions are ANDed;
 *   - In: the key is present with one of the values; NotIn: the key is absent
 *     or its value is none of the values; Exists / DoesNotExist: key presence;
 *   - {} matches everything; an absent selector matches nothing;
 *   - In/NotIn need values, Exists/DoesNotExist take none, any other operator
 *     is an error (as metav1.LabelSelectorAsSelector rejects them).
 */
import type { LabelSelector, LabelSelectorRequirement, Labels, NetworkPolicyRecord, PolicyPeer } from '../k8s/records.js';

export type Operator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';

export class SelectorError extends Error {
  override name = 'SelectorError';
}

/** Checks a requirement and returns its operator; throws naming the expression and field. */
export function checkRequirement(r: LabelSelectorRequirement, where: string): Operator {
  const op = r.operator;
  if (typeof r.key !== 'string' || r.key === '') throw new SelectorError(`${where}.key: a non-empty label key is required`);
  switch (op) {
    case 'In':
    case 'NotIn':
      if (!r.values || r.values.length === 0) throw new SelectorError(`${where}.values: operator '${op}' needs at least one value (key '${r.key}')`);
      return op;
    case 'Exists':
    case 'DoesNotExist':
      if (r.values && r.values.length > 0) throw new SelectorError(`${where}.values: operator '${op}' takes no values (key '${r.key}')`);
      return op;
    default:
      throw new SelectorError(`${where}.operator: unknown operator '${String(op)}' (key '${r.key}'); expected In, NotIn, Exists or DoesNotExist`);
  }
}

/** Throws on the first invalid requirement of a selector. */
export function validateSelector(sel: LabelSelector | undefined, where = 'selector'): void {
  (sel?.matchExpressions ?? []).forEach((r, i) => checkRequirement(r, `${where}.matchExpressions[${i}]`));
}

export function matchesSelector(sel: LabelSelector | undefined, labels: Labels): boolean {
  return labelMatcher(sel, 'selector')(labels);
}

/** A selector checked once and turned into a predicate over label maps (as labels.Selector is parsed once). */
export function labelMatcher(sel: LabelSelector | undefined, where: string): (labels: Labels) => boolean {
  if (sel === undefined) return () => false;
  const ml = Object.entries(sel.matchLabels ?? {});
  const exprs = (sel.matchExpressions ?? []).map((r, i) => ({
    key: r.key,
    op: checkRequirement(r, `${where}.matchExpressions[${i}]`),
    values: new Set(r.values ?? []),
  }));
  return (labels) => {
    for (const [k, v] of ml) if (!Object.hasOwn(labels, k) || labels[k] !== v) return false;
    for (const { key, op, values } of exprs) {
      const has = Object.hasOwn(labels, key);
      switch (op) {
        case 'In':
          if (!has || !values.has(labels[key]!)) return false;
          break;
        case 'NotIn':
          if (has && values.has(labels[key]!)) return false;
          break;
        case 'Exists':
          if (!has) return false;
          break;
        case 'DoesNotExist':
          if (has) return false;
          break;
      }
    }
    return true;
  };
}

/**
 * Which pods a selector stands for, as the controller asks:
 *   namespace         - only pods in this namespace (a policy's own namespace);
 *   namespaceSelector - only pods whose namespace's labels match (omitted: any namespace);
 *   podSelector       - only pods whose labels match (omitted: any pod).
 * `null` stands for an absent selector: no pods.
 */
export interface SelectorSpec {
  namespace?: string;
  namespaceSelector?: LabelSelector;
  podSelector?: LabelSelector;
}

export function validateSpec(spec: SelectorSpec | null): void {
  if (spec === null) return;
  validateSelector(spec.namespaceSelector, 'namespaceSelector');
  validateSelector(spec.podSelector, 'podSelector');
}

export function matchesSpec(
  spec: SelectorSpec | null,
  pod: { namespace: string; labels: Labels },
  namespaceLabels: Labels | undefined,
): boolean {
  return specMatcher(spec)(pod, namespaceLabels);
}

/** A spec checked once and turned into a predicate over (pod, its namespace's labels). */
export function specMatcher(spec: SelectorSpec | null): (pod: { namespace: string; labels: Labels }, namespaceLabels: Labels | undefined) => boolean {
  if (spec === null) return () => false;
  const ns = spec.namespace;
  const nsSel = spec.namespaceSelector ? labelMatcher(spec.namespaceSelector, 'namespaceSelector') : undefined;
  const podSel = spec.podSelector ? labelMatcher(spec.podSelector, 'podSelector') : undefined;
  return (pod, namespaceLabels) =>
    (ns === undefined || pod.namespace === ns) && (!nsSel || nsSel(namespaceLabels ?? {})) && (!podSel || podSel(pod.labels));
}

/** The pods a NetworkPolicy applies to: its podSelector within its own namespace. */
export function policyTargetSpec(np: Pick<NetworkPolicyRecord, 'namespace' | 'podSelector'>): SelectorSpec {
  return { namespace: np.namespace, podSelector: np.podSelector };
}

/**
 * The pods a policy peer allows: podSelector alone applies in the policy's
 * namespace; with a namespaceSelector it applies in the selected namespaces
 * (namespaceSelector alone: all their pods). An ipBlock peer selects no pods (null).
 */
export function policyPeerSpec(policyNamespace: string, peer: PolicyPeer): SelectorSpec | null {
  if (peer.namespaceSelector) {
    return peer.podSelector
      ? { namespaceSelector: peer.namespaceSelector, podSelector: peer.podSelector }
      : { namespaceSelector: peer.namespaceSelector };
  }
  if (peer.podSelector) return { namespace: policyNamespace, podSelector: peer.podSelector };
  return null;
}
