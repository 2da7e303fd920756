/** The Kubernetes side of ovnscale: compact records, list+watch reflectors, writes back. */
export * from './records.js';
export * from './trim.js';
export * from './resources.js';
export { ApiError, KubeApi, loadKubeConfig, type Query, type RequestOptions } from './transport.js';
export { Reflector, type RecordEvent, type ReflectorOptions, type ReflectorSnapshot, type ReflectorStats } from './reflector.js';
export { ConflictError, KubeWriter, microTime, type EventInput, type InvolvedObject, type LeaseSpec } from './writer.js';
export { isServed } from './discovery.js';
