/** A throwaway CA with one server and one client certificate (EC P-256), for SSL tests. */
import { join } from 'node:path';
import { runTool } from '../../src/embedded/index.js';

export interface Pki {
  ca: string;
  server: { key: string; cert: string };
  client: { key: string; cert: string };
}

export async function makePki(dir: string): Promise<Pki> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const f = (n: string) => join(dir, n);
  await runTool('openssl', ['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=ovnscale-test-ca']);
  for (const who of ['server', 'client']) {
    await runTool('openssl', ['req', ...ec, '-keyout', f(`${who}.key`), '-out', f(`${who}.csr`), '-subj', `/CN=${who}`]);
    await runTool('openssl', ['x509', '-req', '-in', f(`${who}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${who}.crt`), '-days', '1']);
  }
  return { ca: f('ca.crt'), server: { key: f('server.key'), cert: f('server.crt') }, client: { key: f('client.key'), cert: f('client.crt') } };
}
