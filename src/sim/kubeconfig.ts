import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * A kubeconfig for the simulator. Plain HTTP on loopback: client-node accepts
 * an http:// server only with insecure-skip-tls-verify set, and kubectl is
 * fine with it.
 */
function kubeconfigYaml(server: string): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: ovnscale-sim',
    '  cluster:',
    `    server: ${server}`,
    '    insecure-skip-tls-verify: true',
    'users:',
    '- name: ovnscale-sim',
    '  user:',
    '    token: ovnscale-sim',
    'contexts:',
    '- name: ovnscale-sim',
    '  context:',
    '    cluster: ovnscale-sim',
    '    user: ovnscale-sim',
    'current-context: ovnscale-sim',
    '',
  ].join('\n');
}

export function writeKubeconfig(path: string, server: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, kubeconfigYaml(server), { mode: 0o600 });
}
