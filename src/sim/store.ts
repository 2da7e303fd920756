import { randomUUID } from 'node:crypto';
import { apiVersionOf, resourceId, type SimResource } from './catalog.js';
import { mergePatch, type Json } from './patch.js';
import type { Labels, ObjectMeta } from './selectors.js';

/**
 * The simulator's object store. Objects are kept serialized (one string each)
 * beside the few fields selectors read, so listing 150k pods is string
 * concatenation, not JSON.stringify. One global resourceVersion counter
 * advances by one per write; every write is an event in a bounded ring, so a
 * watch can resume from any resourceVersion the ring still covers.
 */
export interface Stored {
  json: string;
  meta: ObjectMeta;
  rv: number;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  rv: number;
  resource: string;
  type: EventType;
  json: string;
  meta: ObjectMeta;
  /** MODIFIED: the meta before, so a watch can turn selector exits into DELETED. */
  oldMeta?: ObjectMeta;
}

/** An API error in the shape of a metav1.Status. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: { name?: string; kind?: string; group?: string },
  ) {
    super(message);
  }

  body(): string {
    return JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    });
  }
}

type Obj = { [k: string]: Json };

const asObj = (v: Json | undefined): Obj | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;

const str = (v: Json | undefined): string => (typeof v === 'string' ? v : '');

export interface StoreOptions {
  /** Events kept for watch resumption; older resourceVersions get 410 Gone. */
  historySize?: number;
  /**
   * First resourceVersion minus one. Defaults to the clock in microseconds, so
   * a restarted simulator never hands out resourceVersions a client saw from
   * its previous life (clients watching from those get 410 and relist).
   */
  startResourceVersion?: number;
}

export class SimStore {
  private rvCounter = 0;
  private readonly tables = new Map<string, Map<string, Stored>>();
  private readonly ring: (StoreEvent | undefined)[];
  private ringCount = 0;
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  private readonly labelPool = new Map<string, Labels>();
  private nameSuffix = 0;

  constructor(opts: StoreOptions = {}) {
    this.rvCounter = opts.startResourceVersion ?? Date.now() * 1000;
    this.ring = new Array<StoreEvent | undefined>(Math.max(1, opts.historySize ?? 10_000));
  }

  get resourceVersion(): number {
    return this.rvCounter;
  }

  table(res: SimResource): Map<string, Stored> {
    const id = resourceId(res);
    let t = this.tables.get(id);
    if (!t) this.tables.set(id, (t = new Map()));
    return t;
  }

  /** Events after `rv`, or 'gone' when the ring no longer holds them (or rv is from another server life). */
  eventsSince(rv: number): StoreEvent[] | 'gone' {
    if (rv > this.rvCounter) return 'gone';
    const oldest = this.rvCounter - this.ringCount + 1;
    if (rv + 1 < oldest) return 'gone';
    const out: StoreEvent[] = [];
    for (let r = rv + 1; r <= this.rvCounter; r++) out.push(this.ring[r % this.ring.length]!);
    return out;
  }

  subscribe(fn: (e: StoreEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  get(res: SimResource, namespace: string, name: string): Stored | undefined {
    return this.table(res).get(key(res, namespace, name));
  }

  /** Creates an object. `keepIdentity` keeps a given uid/creationTimestamp (loading a generated cluster). */
  create(res: SimResource, namespace: string, input: Json, keepIdentity = false): Stored {
    const obj = this.checkBody(res, namespace, input);
    const md = asObj(obj.metadata)!;
    if (!str(md.name)) {
      if (!str(md.generateName)) throw invalid(res, '', 'metadata.name: Required value: name or generateName is required');
      md.name = `${str(md.generateName)}${(++this.nameSuffix).toString(36).padStart(5, '0')}`;
    }
    const name = str(md.name);
    const t = this.table(res);
    const k = key(res, namespace, name);
    if (t.has(k)) throw new StatusError(409, 'AlreadyExists', `${res.plural} "${name}" already exists`, details(res, name));
    if (!keepIdentity || !str(md.uid)) md.uid = randomUUID();
    if (!keepIdentity || !str(md.creationTimestamp)) md.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    delete md.deletionTimestamp;
    return this.write(res, t, k, obj, 'ADDED', undefined);
  }

  /** PUT: 409 Conflict when the body's resourceVersion is set and stale. */
  update(res: SimResource, namespace: string, name: string, input: Json): Stored {
    const obj = this.checkBody(res, namespace, input);
    const md = asObj(obj.metadata)!;
    if (str(md.name) !== name) throw invalid(res, name, `metadata.name: Invalid value: "${str(md.name)}": must match the name in the path`);
    const t = this.table(res);
    const k = key(res, namespace, name);
    const old = t.get(k);
    if (!old) throw notFound(res, name);
    const wanted = str(md.resourceVersion);
    if (wanted !== '' && wanted !== String(old.rv)) throw conflict(res, name);
    const prev = asObj(asObj(JSON.parse(old.json) as Json)!.metadata)!;
    md.uid = prev.uid ?? null;
    md.creationTimestamp = prev.creationTimestamp ?? null;
    return this.write(res, t, k, obj, 'MODIFIED', old);
  }

  patch(res: SimResource, namespace: string, name: string, patch: Json, strategic: boolean): Stored {
    const t = this.table(res);
    const k = key(res, namespace, name);
    const old = t.get(k);
    if (!old) throw notFound(res, name);
    const pmd = asObj(asObj(patch)?.metadata);
    const wanted = pmd ? str(pmd.resourceVersion) : '';
    if (wanted !== '' && wanted !== String(old.rv)) throw conflict(res, name);
    const merged = asObj(mergePatch(JSON.parse(old.json) as Json, patch, strategic));
    const md = asObj(merged?.metadata);
    if (!merged || !md || str(md.name) !== name) throw invalid(res, name, 'metadata.name: a patch may not change the name');
    if (res.namespaced && str(md.namespace) !== namespace) throw invalid(res, name, 'metadata.namespace: a patch may not change the namespace');
    return this.write(res, t, k, merged, 'MODIFIED', old);
  }

  delete(res: SimResource, namespace: string, name: string): Stored {
    const t = this.table(res);
    const k = key(res, namespace, name);
    const old = t.get(k);
    if (!old) throw notFound(res, name);
    t.delete(k);
    const obj = JSON.parse(old.json) as Obj;
    const rv = ++this.rvCounter;
    asObj(obj.metadata)!.resourceVersion = String(rv);
    const gone: Stored = { json: JSON.stringify(obj), meta: old.meta, rv };
    this.emit({ rv, resource: resourceId(res), type: 'DELETED', json: gone.json, meta: old.meta });
    return gone;
  }

  private checkBody(res: SimResource, namespace: string, input: Json): Obj {
    const obj = asObj(input);
    const md = asObj(obj?.metadata);
    if (!obj || !md) throw invalid(res, '', 'metadata: Required value');
    const name = str(md.name);
    if (obj.kind !== undefined && obj.kind !== res.kind) throw invalid(res, name, `kind: Invalid value: "${str(obj.kind)}": expected ${res.kind}`);
    obj.kind = res.kind;
    obj.apiVersion = apiVersionOf(res);
    if (res.namespaced) {
      if (str(md.namespace) !== '' && str(md.namespace) !== namespace)
        throw new StatusError(400, 'BadRequest', `the namespace of the provided object (${str(md.namespace)}) does not match the namespace sent on the request (${namespace})`);
      md.namespace = namespace;
    } else delete md.namespace;
    return obj;
  }

  private write(res: SimResource, t: Map<string, Stored>, k: string, obj: Obj, type: EventType, old: Stored | undefined): Stored {
    const rv = ++this.rvCounter;
    const md = asObj(obj.metadata)!;
    md.resourceVersion = String(rv);
    delete md.managedFields;
    const stored: Stored = { json: JSON.stringify(obj), meta: this.metaOf(obj), rv };
    t.set(k, stored);
    this.emit({ rv, resource: resourceId(res), type, json: stored.json, meta: stored.meta, ...(old ? { oldMeta: old.meta } : {}) });
    return stored;
  }

  private emit(e: StoreEvent): void {
    this.ring[e.rv % this.ring.length] = e;
    this.ringCount = Math.min(this.ringCount + 1, this.ring.length);
    for (const fn of this.listeners) fn(e);
  }

  private metaOf(obj: Obj): ObjectMeta {
    const md = asObj(obj.metadata)!;
    const raw = asObj(md.labels) ?? {};
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(raw)) if (typeof v === 'string') labels[k] = v;
    const id = JSON.stringify(labels);
    let pooled = this.labelPool.get(id);
    if (!pooled) this.labelPool.set(id, (pooled = Object.freeze(labels)));
    return { name: str(md.name), namespace: str(md.namespace), labels: pooled, nodeName: str(asObj(obj.spec)?.nodeName) };
  }
}

const key = (res: SimResource, namespace: string, name: string): string => (res.namespaced ? `${namespace}/${name}` : name);

const details = (res: SimResource, name: string) => ({ name, kind: res.plural, ...(res.group ? { group: res.group } : {}) });

const fullName = (res: SimResource): string => (res.group ? `${res.plural}.${res.group}` : res.plural);

function notFound(res: SimResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${fullName(res)} "${name}" not found`, details(res, name));
}

function conflict(res: SimResource, name: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${fullName(res)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
    details(res, name),
  );
}

function invalid(res: SimResource, name: string, message: string): StatusError {
  return new StatusError(422, 'Invalid', `${res.kind} "${name}" is invalid: ${message}`, details(res, name));
}
