import { once } from 'node:events';
import type { Writable } from 'node:stream';
import yaml from 'js-yaml';
import type { K8sObject } from './objects.js';

/**
 * Multi-document YAML for `kubectl apply -f`: manifests, so without the
 * identity the API server assigns (uid, creationTimestamp). Strings YAML 1.1
 * would read as booleans or numbers (y, n, on, 0x1F...) are quoted by
 * js-yaml's dumper.
 */
export async function writeYaml(objects: Iterable<K8sObject>, out: Writable): Promise<number> {
  let n = 0;
  for (const o of objects) {
    const { uid: _uid, creationTimestamp: _created, ...metadata } = o.metadata as Record<string, unknown>;
    const doc = `${n > 0 ? '---\n' : ''}${yaml.dump({ ...o, metadata }, { noRefs: true, lineWidth: -1 })}`;
    if (!out.write(doc)) await once(out, 'drain');
    n++;
  }
  return n;
}
