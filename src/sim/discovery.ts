import { apiVersionOf, type SimResource } from './catalog.js';

/**
 * Discovery documents (legacy, unaggregated form: kubectl falls back to it
 * when the server does not answer with an aggregated APIGroupDiscoveryList).
 * Returns undefined for paths that are not discovery.
 */
export function discovery(path: string, served: readonly SimResource[], hostPort: string): unknown {
  if (path === '/version') {
    return {
      major: '1',
      minor: '32',
      gitVersion: 'v1.32.0-ovnscale-sim',
      gitCommit: '0000000000000000000000000000000000000000',
      gitTreeState: 'clean',
      buildDate: '2026-01-01T00:00:00Z',
      goVersion: 'go1.23',
      compiler: 'gc',
      platform: 'linux/amd64',
    };
  }
  if (path === '/api') {
    return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: hostPort }] };
  }
  if (path === '/apis') {
    return { kind: 'APIGroupList', apiVersion: 'v1', groups: [...groupsOf(served).entries()].filter(([g]) => g !== '').map(([g, vs]) => group(g, vs)) };
  }
  const g = /^\/apis\/([^/]+)$/.exec(path);
  if (g) {
    const versions = groupsOf(served).get(g[1]!);
    return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...group(g[1]!, versions) } : undefined;
  }
  const gv = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(path);
  if (gv) {
    const groupVersion = gv[1] ?? `${gv[2]}/${gv[3]}`;
    const list = served.filter((r) => apiVersionOf(r) === groupVersion);
    if (list.length === 0) return undefined;
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion, resources: list.flatMap(resourceEntries) };
  }
  return undefined;
}

function groupsOf(served: readonly SimResource[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const r of served) {
    const vs = groups.get(r.group) ?? [];
    if (!vs.includes(r.version)) vs.push(r.version);
    groups.set(r.group, vs);
  }
  return groups;
}

function group(name: string, versions: string[]) {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
  return { name, versions: vs, preferredVersion: vs[0] };
}

function resourceEntries(r: SimResource) {
  const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
  return [
    { name: r.plural, singularName: r.singular, namespaced: r.namespaced, kind: r.kind, verbs, ...(r.shortNames.length ? { shortNames: r.shortNames } : {}) },
    { name: `${r.plural}/status`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['get', 'patch', 'update'] },
  ];
}
