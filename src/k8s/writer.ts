/**
 * What the controller writes back: pod annotations (IPAM results, as a JSON
 * merge patch), Events on objects, and the Lease used for leader election.
 * Conflicts surface as ConflictError so leader election can tell "lost the
 * race" from "API server trouble".
 */
import type { LeaseRecord, PodRecord } from './records.js';
import { Leases, Nodes, Pods, resourcePath } from './resources.js';
import { trimLease, trimPod } from './trim.js';
import { ApiError, type KubeApi } from './transport.js';

export class ConflictError extends Error {
  override name = 'ConflictError';
}

export interface InvolvedObject {
  apiVersion: string;
  kind: string;
  name: string;
  /** '' for cluster-scoped objects: the Event goes to the "default" namespace, as kubelet's do. */
  namespace: string;
  uid: string;
}

export interface EventInput {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** Reporting component, e.g. "ovnscale-controller". */
  component: string;
}

export interface LeaseSpec {
  holderIdentity: string;
  leaseDurationSeconds: number;
  /** RFC 3339 with microseconds, as MicroTime; defaults to now. */
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions: number;
}

const MERGE = 'application/merge-patch+json';

/** MicroTime: RFC 3339 with 6 fractional digits. */
export const microTime = (d = new Date()): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class KubeWriter {
  private eventSeq = 0;

  constructor(private readonly api: KubeApi) {}

  /** Sets (string) or removes (null) pod annotations; returns the updated pod. */
  async patchPodAnnotations(namespace: string, name: string, annotations: Record<string, string | null>): Promise<PodRecord> {
    const pod = await this.api.request<unknown>('PATCH', resourcePath(Pods, namespace, name), {
      body: { metadata: { annotations } },
      contentType: MERGE,
    });
    return trimPod(pod);
  }

  /** The same for a Node (join-subnet address annotations). */
  async patchNodeAnnotations(name: string, annotations: Record<string, string | null>): Promise<void> {
    await this.api.request<unknown>('PATCH', resourcePath(Nodes, '', name), { body: { metadata: { annotations } }, contentType: MERGE });
  }

  async createEvent(on: InvolvedObject, ev: EventInput): Promise<void> {
    const now = new Date();
    // Event timestamps are RFC 3339 to the second.
    const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z');
    const namespace = on.namespace || 'default';
    const name = `${on.name}.${(now.getTime() * 1000 + (this.eventSeq++ % 1000)).toString(16)}`;
    await this.api.request('POST', `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`, {
      body: {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: { apiVersion: on.apiVersion, kind: on.kind, name: on.name, namespace: on.namespace || undefined, uid: on.uid },
        type: ev.type,
        reason: ev.reason,
        message: ev.message,
        source: { component: ev.component },
        reportingComponent: ev.component,
        reportingInstance: ev.component,
        firstTimestamp: stamp,
        lastTimestamp: stamp,
        count: 1,
      },
    });
  }

  /** undefined when the Lease does not exist. */
  async getLease(namespace: string, name: string): Promise<LeaseRecord | undefined> {
    try {
      return trimLease(await this.api.request<unknown>('GET', resourcePath(Leases, namespace, name)));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** ConflictError when someone created it first. */
  async createLease(namespace: string, name: string, spec: LeaseSpec): Promise<LeaseRecord> {
    return this.leaseWrite('POST', resourcePath(Leases, namespace), { metadata: { name, namespace }, spec: leaseSpec(spec) });
  }

  /** Compare-and-swap on the Lease's resourceVersion: ConflictError when it changed meanwhile. */
  async updateLease(current: LeaseRecord, spec: LeaseSpec): Promise<LeaseRecord> {
    return this.leaseWrite('PUT', resourcePath(Leases, current.namespace, current.name), {
      metadata: { name: current.name, namespace: current.namespace, resourceVersion: current.resourceVersion, labels: current.labels },
      spec: leaseSpec(spec),
    });
  }

  private async leaseWrite(method: 'POST' | 'PUT', path: string, body: Record<string, unknown>): Promise<LeaseRecord> {
    try {
      return trimLease(await this.api.request<unknown>(method, path, { body: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', ...body } }));
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) throw new ConflictError(err.message);
      throw err;
    }
  }
}

function leaseSpec(s: LeaseSpec): Record<string, unknown> {
  const now = microTime();
  return {
    holderIdentity: s.holderIdentity,
    leaseDurationSeconds: s.leaseDurationSeconds,
    acquireTime: s.acquireTime ?? now,
    renewTime: s.renewTime ?? now,
    leaseTransitions: s.leaseTransitions,
  };
}
