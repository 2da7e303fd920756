/**
 * Warm restart (--state-file). When the controller stops, what its caches
 * hold goes to a file: every reflector's records with their
 * resourceVersion, and the NB cache with each table's last transaction. The
 * next process starts from that file, and the servers send only what
 * changed since: the watches resume from the resourceVersions and the NB
 * monitors use monitor_cond_since. The file is never trusted on its own. A
 * resourceVersion the API server no longer has brings a full list, diffed
 * against the records. An NB transaction the server does not know (a
 * standalone NB keeps no history) brings the full table, also diffed. And
 * the file must come from this cluster: the API server must answer with the
 * same uid for a namespace the file names.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { recordKey, type KubeApi, type ObjectRecord, type ReflectorSnapshot } from '../k8s/index.js';
import { packSnapshot, unpackSnapshot, type CacheSnapshot, type PackedSnapshot } from '../ovsdb/index.js';
import { packObjects, StringTable, unpackObjects, unpackStrings, type PackedObjects, type PackedStrings } from '../util/columnar.js';
import { isObject } from '../ovsdb/schema.js';
import type { Logger } from '../util/log.js';
import { packageRoot } from '../util/paths.js';
import { readSnapshotFile, SnapshotFileError, writeSnapshotFile } from '../util/snapshot-file.js';
import type { ClusterCache } from './cluster-cache.js';
import type { ControllerMetrics } from './metrics.js';
import { DEFAULT_OPTIONS, type ControllerOptions } from './options.js';

/** Raised whenever the shape of what is saved changes (records, rows, this interface). */
const FORMAT = 2;

export interface WarmState {
  /** This cluster: a namespace's name and uid, as the API server reported them. */
  cluster: { namespace: string; uid: string };
  /** By resource (plural). */
  reflectors: Record<string, ReflectorSnapshot<ObjectRecord>>;
  /** Absent where the NB keeps no transaction history to resume from. */
  nb?: CacheSnapshot;
  /**
   * Set when the NB held this controller's desired rows at the stop (its
   * last pass succeeded, nothing was left to do): the build and options
   * (optionsFingerprint) they were computed with.
   */
  convergedWith?: string;
}

/**
 * What the file holds: the records and the NB cache packed column by column
 * (util/columnar.ts, snapshot-pack.ts), each distinct string once: less than
 * half the size, read back in a fraction of the time, and the records share
 * their namespaces' and labels' strings.
 */
interface StateFile {
  cluster: WarmState['cluster'];
  strings: PackedStrings;
  reflectors: Record<string, { resourceVersion: string; records: PackedObjects }>;
  nb?: PackedSnapshot;
  convergedWith?: string;
}

function toFile(state: WarmState): StateFile {
  const strings = new StringTable();
  const reflectors: StateFile['reflectors'] = {};
  for (const [plural, r] of Object.entries(state.reflectors)) {
    reflectors[plural] = { resourceVersion: r.resourceVersion, records: packObjects(r.records as unknown as Record<string, unknown>[], strings) };
  }
  const { nb, ...rest } = state;
  return { ...rest, strings: strings.packed(), reflectors, ...(nb ? { nb: packSnapshot(nb) } : {}) };
}

/** Throws on packed content that does not hold together, naming the part. */
function fromFile(file: StateFile): WarmState {
  const str = unpackStrings(file.strings);
  const reflectors: WarmState['reflectors'] = {};
  for (const [plural, r] of Object.entries(file.reflectors)) {
    reflectors[plural] = { resourceVersion: r.resourceVersion, records: unpackObjects(r.records, str, plural) as unknown as ObjectRecord[] };
  }
  const { nb, strings: _strings, ...rest } = file;
  return { ...rest, reflectors, ...(nb ? { nb: unpackSnapshot(nb) } : {}) };
}

/** This build's version and every option the desired rows depend on, as one string. */
export function optionsFingerprint(o: ControllerOptions): string {
  const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version?: unknown };
  // A memory setting changes no row: a restart with another one still finds the NB converged.
  const keys = Object.keys(DEFAULT_OPTIONS).filter((k) => k !== 'heapTargetMb');
  return JSON.stringify([version, ...keys.sort().map((k) => o[k as keyof ControllerOptions])]);
}

/** The caches as they are now (`nb`: the NB client's snapshot()); undefined until every resource has been listed. */
export function captureState(cache: ClusterCache, nb: CacheSnapshot | undefined, convergedWith?: string): WarmState | undefined {
  const reflectors: WarmState['reflectors'] = {};
  for (const r of cache.all()) {
    const snap = r.snapshot();
    if (!snap) return undefined;
    reflectors[r.type.plural] = snap;
  }
  const ns = cache.namespaces.get('kube-system') ?? [...cache.namespaces.store.values()].sort((a, b) => recordKey(a).localeCompare(recordKey(b)))[0];
  if (!ns) return undefined;
  return { cluster: { namespace: ns.name, uid: ns.uid }, reflectors, ...(nb ? { nb } : {}), ...(nb && convergedWith ? { convergedWith } : {}) };
}

/** A state packed for its file, with what it counts for the log. */
export interface PackedState {
  file: StateFile;
  records: number;
  nbRows: number;
  /** ms packing took. */
  ms: number;
}

/**
 * Packs a state (each distinct string once): once packed, the caches it
 * was taken from need not stay for the file to be written.
 */
export function packState(state: WarmState): PackedState {
  const t0 = performance.now();
  const file = toFile(state);
  const records = Object.values(state.reflectors).reduce((n, r) => n + r.records.length, 0);
  const nbRows = Object.values(state.nb?.tables ?? {}).reduce((n, t) => n + t.rows.length, 0);
  return { file, records, nbRows, ms: performance.now() - t0 };
}

export async function saveState(path: string, packed: PackedState, log: Logger): Promise<void> {
  const t0 = performance.now();
  try {
    const bytes = await writeSnapshotFile(path, FORMAT, packed.file);
    log.info('state saved', { path, records: packed.records, nbRows: packed.nbRows, bytes, ms: Math.round(packed.ms + performance.now() - t0) });
  } catch (err) {
    log.error('state not saved; the next start lists everything', { path, err });
  }
}

/** Why `v` is not a WarmState (undefined: it is one, as far as its envelope goes). */
function malformed(v: unknown): string | undefined {
  if (!isObject(v) || !isObject(v.cluster) || !isObject(v.reflectors) || !isObject(v.strings)) return 'not a state object';
  if (typeof v.cluster.namespace !== 'string' || typeof v.cluster.uid !== 'string') return 'cluster: namespace and uid must be strings';
  if (v.convergedWith !== undefined && typeof v.convergedWith !== 'string') return 'convergedWith must be a string';
  for (const [plural, r] of Object.entries(v.reflectors)) {
    if (!isObject(r) || typeof r.resourceVersion !== 'string' || !isObject(r.records)) return `reflectors.${plural}: resourceVersion and records expected`;
  }
  return undefined;
}

/**
 * The state file's content, checked; undefined when there is none or it is
 * refused (logged, and counted by reason). The Kubernetes part is dropped
 * when the API server is not the one it was taken from; the NB part is left
 * to the NB server to judge.
 */
export async function loadState(path: string, api: KubeApi, log: Logger, metrics: ControllerMetrics): Promise<WarmState | undefined> {
  const t0 = performance.now();
  const refuse = (reason: string, message: string): undefined => {
    metrics.stateLoads.inc({ outcome: 'rejected', reason });
    log.warn('state file not used; listing the cluster', { path, reason, message });
    return undefined;
  };
  let decoded: { state: WarmState } | { bad: string };
  try {
    decoded = await readSnapshotFile(path, FORMAT, (value) => {
      const bad = malformed(value);
      if (bad !== undefined) return { bad };
      try {
        return { state: fromFile(value as StateFile) };
      } catch (err) {
        return { bad: (err as Error).message };
      }
    });
  } catch (err) {
    if (!(err instanceof SnapshotFileError)) throw err;
    if (err.reason !== 'absent') return refuse(err.reason, err.message);
    metrics.stateLoads.inc({ outcome: 'absent', reason: '' });
    log.info('no state file; listing everything', { path });
    return undefined;
  }
  if ('bad' in decoded) return refuse('shape', decoded.bad);
  const { state } = decoded;
  const { namespace, uid } = state.cluster;
  // Bounded: an API server slow to answer this costs a list, not a startup stuck here.
  const live = await api.request<{ metadata?: { uid?: unknown } }>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}`, { timeoutMs: 10_000 }).then(
    (o) => o.metadata?.uid,
    (err: unknown) => err,
  );
  if (live !== uid) {
    const seen = typeof live === 'string' ? `has uid ${live} here, ${uid} in the file` : `could not be confirmed (${live instanceof Error ? live.message : 'no uid'})`;
    refuse('cluster', `namespace ${namespace} ${seen}: the file's Kubernetes records are not used`);
    return state.nb ? { cluster: state.cluster, reflectors: {}, nb: state.nb } : undefined;
  }
  metrics.stateLoads.inc({ outcome: 'loaded', reason: '' });
  const records = Object.values(state.reflectors).reduce((n, r) => n + r.records.length, 0);
  log.info('state file loaded', { path, records, nb: state.nb !== undefined, converged: state.convergedWith !== undefined, ms: Math.round(performance.now() - t0) });
  return state;
}

/** Seeds every reflector the state holds; the others list as usual. */
export function resumeReflectors(state: WarmState, cache: ClusterCache): void {
  for (const r of cache.all()) {
    const snap = state.reflectors[r.type.plural];
    if (snap) r.resume(snap);
  }
}
