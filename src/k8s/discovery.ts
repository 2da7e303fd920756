/** Which resources the API server serves (KubeVirt's CRDs are optional). */
import type { ObjectRecord } from './records.js';
import { groupVersionPath, type ResourceType } from './resources.js';
import { ApiError, type KubeApi } from './transport.js';

interface ApiResourceList {
  resources?: { name?: unknown }[];
}

/** True when the group/version lists the resource; 404 (group not installed) is false, other errors throw. */
export async function isServed(api: KubeApi, type: ResourceType<ObjectRecord>): Promise<boolean> {
  try {
    const list = await api.request<ApiResourceList>('GET', groupVersionPath(type));
    return (list.resources ?? []).some((r) => r.name === type.plural);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return false;
    throw err;
  }
}
