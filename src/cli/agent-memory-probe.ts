/**
 * Child process of `ovnscale bench agent-memory`: syncs an agent's caches
 * against a kubeconfig and prints its heap, so each measurement runs in a
 * process of its own. Usage: node --expose-gc agent-memory-probe.js KUBECONFIG NODE node|cluster
 */
import { nodeScopedCache } from '../agent/node-cache.js';
import { KubeApi, loadKubeConfig } from '../k8s/index.js';
import { silentLogger } from '../util/log.js';

const [kubeconfig, nodeName, scope] = process.argv.slice(2);
if (!kubeconfig || !nodeName || (scope !== 'node' && scope !== 'cluster')) {
  process.stderr.write('usage: agent-memory-probe KUBECONFIG NODE node|cluster\n');
  process.exit(2);
}
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('agent-memory-probe: run with --expose-gc\n');
  process.exit(2);
}
gc();
const before = process.memoryUsage().heapUsed;
const t0 = performance.now();
const cache = nodeScopedCache(new KubeApi(loadKubeConfig(kubeconfig)), nodeName, silentLogger, scope);
cache.start();
await cache.waitForSync(600_000);
const syncMs = performance.now() - t0;
gc();
gc();
const m = process.memoryUsage();
process.stdout.write(
  JSON.stringify({ scope, nodes: cache.node.store.size, pods: cache.pods.store.size, heapMiB: (m.heapUsed - before) / 2 ** 20, rssMiB: m.rss / 2 ** 20, syncMs }) + '\n',
);
await cache.stop();
