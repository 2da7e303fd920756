import { Nodes, Pods, Reflector, type KubeApi, type NodeRecord, type PodRecord } from '../k8s/index.js';
import type { Logger } from '../util/log.js';

/**
 * The agent's view of the cluster: its own Node and the pods scheduled on
 * it, through field-selected watches, so its memory depends on the pods of
 * one node and not on the size of the cluster. `cluster` scope (every node,
 * every pod) exists only as the baseline the memory benchmark compares with.
 */
export type CacheScope = 'node' | 'cluster';

export interface NodeScopedCache {
  node: Reflector<NodeRecord>;
  pods: Reflector<PodRecord>;
  start(): void;
  waitForSync(timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

export function nodeScopedCache(api: KubeApi, nodeName: string, log: Logger, scope: CacheScope = 'node'): NodeScopedCache {
  const own = scope === 'node';
  const node = new Reflector(api, Nodes, { fieldSelector: own ? `metadata.name=${nodeName}` : undefined, logger: log });
  const pods = new Reflector(api, Pods, { fieldSelector: own ? `spec.nodeName=${nodeName}` : undefined, logger: log });
  return {
    node,
    pods,
    start() {
      node.start();
      pods.start();
    },
    async waitForSync(timeoutMs) {
      await Promise.all([node.waitForSync(timeoutMs), pods.waitForSync(timeoutMs)]);
    },
    async stop() {
      await Promise.all([node.stop(), pods.stop()]);
    },
  };
}
