import { KubeApi, loadKubeConfig, Nodes, resourcePath, trimNode } from '../k8s/index.js';
import type { OvsdbClient } from '../ovsdb/index.js';
import type { Logger } from '../util/log.js';
import { applyTuning, BrIntTimeoutError, connectLocalOvs, waitForBridge } from './local-ovs.js';
import { nodeScopedCache } from './node-cache.js';
import { desiredTuning } from './ovs-tuning.js';
import { ExitCode, modprobe, preflightExitCode, runPreflight, type PreflightOptions } from './preflight.js';

export interface AgentOptions {
  nodeName: string;
  /** Absent: the in-cluster service account. */
  kubeconfig?: string;
  ovsDb: string;
  ovsRundir: string;
  ovnRemote: string;
  /** Absent: the Node's InternalIP, read from the API server. */
  encapIp?: string;
  encapType: PreflightOptions['encapType'];
  datapath: PreflightOptions['datapath'];
  remoteProbeIntervalMs: number;
  openflowProbeIntervalS: number;
  brIntTimeoutMs: number;
  ovsdbTimeoutMs: number;
  hostRoot: string;
  rundirLink: string;
  cpus: number;
  hostname: string;
  /** Preflight, tuning and the br-int wait, then exit with a status that says whether the node is ready. */
  once: boolean;
  loadModules: boolean;
  log: Logger;
  /** Aborting stops a long-running agent. */
  signal?: AbortSignal;
}

async function nodeInternalIp(o: AgentOptions): Promise<string> {
  const api = new KubeApi(loadKubeConfig(o.kubeconfig));
  const node = trimNode(await api.request<unknown>('GET', resourcePath(Nodes, '', o.nodeName)));
  const ip = node.internalIPs[0];
  if (!ip) throw new Error(`node ${o.nodeName}: status.addresses has no InternalIP; pass --encap-ip`);
  return ip;
}

/** Runs the agent; resolves to its exit status (ExitCode). */
export async function runAgent(o: AgentOptions): Promise<number> {
  const log = o.log.child({ node: o.nodeName });
  const results = await runPreflight({
    root: o.hostRoot,
    datapath: o.datapath,
    encapType: o.encapType,
    rundirLink: o.rundirLink,
    rundirTarget: o.ovsRundir,
    loadModule: o.loadModules ? modprobe : undefined,
  });
  for (const r of results) {
    const level = r.ok ? 'info' : r.fatal ? 'error' : 'warn';
    log[level]('preflight', { check: r.id, ok: r.ok, message: r.message });
  }
  const pre = preflightExitCode(results);
  if (pre !== ExitCode.ready) return pre;

  let encapIp = o.encapIp;
  if (!encapIp) {
    try {
      encapIp = await nodeInternalIp(o);
    } catch (err) {
      log.error('cannot choose the tunnel endpoint', { err });
      return ExitCode.usage;
    }
  }
  const want = desiredTuning({
    cpus: o.cpus,
    hostname: o.hostname,
    ovnRemote: o.ovnRemote,
    encapType: o.encapType,
    encapIp,
    remoteProbeIntervalMs: o.remoteProbeIntervalMs,
    openflowProbeIntervalS: o.openflowProbeIntervalS,
  });

  let client: OvsdbClient;
  try {
    client = await connectLocalOvs(o.ovsDb, log, o.ovsdbTimeoutMs);
  } catch (err) {
    log.error('cannot reach the local Open_vSwitch database: is ovsdb-server running?', { remote: o.ovsDb, err });
    return ExitCode.ovsdbUnreachable;
  }
  try {
    try {
      const { changed } = await applyTuning(client, want);
      log.info('ovs tuning', { changed });
    } catch (err) {
      log.error('ovs tuning failed', { err });
      return ExitCode.tuningFailed;
    }
    try {
      await waitForBridge({ client, rundir: o.ovsRundir, timeoutMs: o.brIntTimeoutMs, log });
    } catch (err) {
      if (!(err instanceof BrIntTimeoutError)) throw err;
      log.error('br-int not ready', { err: err.message });
      return ExitCode.brIntTimeout;
    }
    if (o.once) {
      log.info('node ready');
      return ExitCode.ready;
    }
    return await serve(o, client, want, log);
  } finally {
    await client.close();
  }
}

/** Long-running mode: node-scoped caches, and the tuning restored if someone changes it. */
async function serve(o: AgentOptions, client: OvsdbClient, want: ReturnType<typeof desiredTuning>, log: Logger): Promise<number> {
  const cache = nodeScopedCache(new KubeApi(loadKubeConfig(o.kubeconfig)), o.nodeName, log);
  cache.start();
  let retune: NodeJS.Timeout | undefined;
  const off = client.cache.onChange((c) => {
    if (c.table !== 'Open_vSwitch' || retune) return;
    retune = setTimeout(() => {
      retune = undefined;
      applyTuning(client, want).then(
        ({ changed }) => Object.keys(changed).length && log.warn('ovs tuning restored', { changed }),
        (err: unknown) => log.error('ovs tuning failed', { err }),
      );
    }, 200);
  });
  try {
    await cache.waitForSync(120_000);
    log.info('node-scoped caches synced', { pods: cache.pods.store.size });
    await new Promise<void>((resolve) => {
      if (o.signal?.aborted) return resolve();
      o.signal?.addEventListener('abort', () => resolve(), { once: true });
    });
    return ExitCode.ready;
  } finally {
    off();
    clearTimeout(retune);
    await cache.stop();
  }
}
