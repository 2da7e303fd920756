/**
 * A list worker: fetches one resource's list pages with its own API client
 * (the caller's kubeconfig), trims each page and posts the records
 * (src/k8s/list-pages.ts). JSON.parse and trimming stay off the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { KubeConfig } from '@kubernetes/client-node';
import { postTrimmedPages, type ListWorkerData } from '../src/k8s/list-pages.js';
import { KubeApi } from '../src/k8s/transport.js';

const data = workerData as ListWorkerData;
const kc = new KubeConfig();
kc.loadFromString(data.kubeconfig);
await postTrimmedPages(new KubeApi(kc), data, (m) => parentPort!.postMessage(m));
