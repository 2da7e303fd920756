/**
 * Label and field selectors in the API server's query syntax
 * (`labelSelector=app=web,tier in (a,b),!legacy`, `fieldSelector=spec.nodeName=n1`),
 * compiled once per request into predicates over an object's meta.
 */
export type Labels = Readonly<Record<string, string>>;

/** What the simulator keeps beside each serialized object, for selectors. */
export interface ObjectMeta {
  name: string;
  namespace: string;
  labels: Labels;
  /** Pods only: spec.nodeName ('' when unscheduled). */
  nodeName: string;
}

export class SelectorError extends Error {
  override name = 'SelectorError';
}

type LabelTerm = (labels: Labels) => boolean;

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;
const VALUE = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?)?$/;

/** Splits on commas outside parentheses. */
function splitTerms(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key)) throw new SelectorError(`labelSelector '${selector}': invalid label key '${key}'`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value)) throw new SelectorError(`labelSelector '${selector}': invalid label value '${value}'`);
  return value;
}

function labelTerm(term: string, selector: string): LabelTerm {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const key = checkKey(set[1]!, selector);
    const values = new Set(set[3]!.split(',').map((v) => checkValue(v.trim(), selector)));
    return set[2] === 'in'
      ? (l) => l[key] !== undefined && values.has(l[key])
      : (l) => l[key] === undefined || !values.has(l[key]);
  }
  const eq = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (eq) {
    const key = checkKey(eq[1]!, selector);
    const value = checkValue(eq[3]!, selector);
    return eq[2] === '!=' ? (l) => l[key] !== value : (l) => l[key] === value;
  }
  if (term.startsWith('!')) {
    const key = checkKey(term.slice(1).trim(), selector);
    return (l) => l[key] === undefined;
  }
  const key = checkKey(term, selector);
  return (l) => l[key] !== undefined;
}

export function parseLabelSelector(selector: string): (labels: Labels) => boolean {
  const terms = splitTerms(selector).map((t) => labelTerm(t, selector));
  if (terms.length === 0) return () => true;
  return (labels) => terms.every((t) => t(labels));
}

/** Field paths served per resource (every resource serves metadata.name / metadata.namespace). */
export function parseFieldSelector(
  selector: string,
  extraFields: readonly string[],
): (meta: ObjectMeta) => boolean {
  const terms = splitTerms(selector).map((term) => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`fieldSelector '${selector}': invalid term '${term}'`);
    const field = m[1]!;
    const value = m[3]!.trim();
    let get: (meta: ObjectMeta) => string;
    if (field === 'metadata.name') get = (o) => o.name;
    else if (field === 'metadata.namespace') get = (o) => o.namespace;
    else if (field === 'spec.nodeName' && extraFields.includes(field)) get = (o) => o.nodeName;
    else throw new SelectorError(`field label not supported: ${field}`);
    return m[2] === '!=' ? (o: ObjectMeta) => get(o) !== value : (o: ObjectMeta) => get(o) === value;
  });
  if (terms.length === 0) return () => true;
  return (meta) => terms.every((t) => t(meta));
}
