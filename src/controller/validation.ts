/**
 * Typed validation errors for bad Kubernetes input. Each names the object
 * (kind/namespace/name) and the field, so the controller can log it, count it
 * (ovnscale_invalid_objects_total{kind,reason}) and raise an Event, while
 * everything else keeps converging.
 */
import type { LabelSelector, Labels, ObjectRecord } from '../k8s/records.js';

export interface ValidationError {
  kind: string;
  namespace: string;
  name: string;
  /** JSON-path-like field, e.g. spec.cidrBlock or metadata.annotations[ovn.kubernetes.io/ip_address]. */
  field: string;
  /** Short machine-readable reason, used as a metric label. */
  reason: string;
  message: string;
}

export function invalid(kind: string, obj: Pick<ObjectRecord, 'namespace' | 'name'>, field: string, reason: string, detail: string): ValidationError {
  const id = obj.namespace ? `${obj.namespace}/${obj.name}` : obj.name;
  return { kind, namespace: obj.namespace, name: obj.name, field, reason, message: `${kind} ${id}: ${field}: ${detail}` };
}

const SELECTOR_OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);
const NAME_RE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
const PREFIX_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes label key rules: optional DNS-subdomain prefix (≤253) '/', name ≤63. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : '';
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0 && (prefix.length === 0 || prefix.length > 253 || !PREFIX_RE.test(prefix))) return `invalid label key prefix (${prefix.length} characters)`;
  if (name.length === 0 || name.length > 63 || !NAME_RE.test(name)) return `invalid label key name (${name.length} characters, at most 63)`;
  return undefined;
}

export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63 || !NAME_RE.test(value)) return `invalid label value (${value.length} characters, at most 63)`;
  return undefined;
}

/** Errors of an object's own labels. */
export function validateLabels(kind: string, obj: ObjectRecord, labels: Labels = obj.labels, field = 'metadata.labels'): ValidationError[] {
  const out: ValidationError[] = [];
  for (const [k, v] of Object.entries(labels)) {
    const kp = labelKeyProblem(k);
    if (kp) out.push(invalid(kind, obj, `${field}[${k.length > 80 ? k.slice(0, 80) + '…' : k}]`, 'label-too-long-or-invalid', kp));
    const vp = labelValueProblem(v);
    if (vp) out.push(invalid(kind, obj, `${field}[${k.length > 80 ? k.slice(0, 80) + '…' : k}]`, 'label-too-long-or-invalid', vp));
  }
  return out;
}

/** Errors of a LabelSelector (operators, values, label syntax). */
export function validateSelector(kind: string, obj: ObjectRecord, sel: LabelSelector | undefined, field: string): ValidationError[] {
  if (!sel) return [];
  const out = validateLabels(kind, obj, sel.matchLabels ?? {}, `${field}.matchLabels`);
  (sel.matchExpressions ?? []).forEach((e, i) => {
    const f = `${field}.matchExpressions[${i}]`;
    if (!SELECTOR_OPERATORS.has(e.operator)) {
      out.push(invalid(kind, obj, `${f}.operator`, 'unknown-operator', `unknown operator '${e.operator.slice(0, 80)}' (In, NotIn, Exists, DoesNotExist)`));
      return;
    }
    const kp = labelKeyProblem(e.key);
    if (kp) out.push(invalid(kind, obj, `${f}.key`, 'label-too-long-or-invalid', kp));
    const n = e.values?.length ?? 0;
    if ((e.operator === 'In' || e.operator === 'NotIn') && n === 0) out.push(invalid(kind, obj, `${f}.values`, 'invalid-selector', `operator ${e.operator} needs values`));
    if ((e.operator === 'Exists' || e.operator === 'DoesNotExist') && n > 0) out.push(invalid(kind, obj, `${f}.values`, 'invalid-selector', `operator ${e.operator} takes no values`));
    (e.values ?? []).forEach((v, j) => {
      const vp = labelValueProblem(v);
      if (vp) out.push(invalid(kind, obj, `${f}.values[${j}]`, 'label-too-long-or-invalid', vp));
    });
  });
  return out;
}
