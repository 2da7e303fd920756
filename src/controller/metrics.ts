import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every metric the controller exposes, in one registry. Names follow
 * kube-ovn-controller / client-go where they exist there, so existing
 * dashboards keep working.
 */
export interface ControllerMetrics {
  registry: Registry;
  queueDepth: Gauge<'name'>;
  queueAdds: Counter<'name'>;
  queueDuration: Histogram<'name'>;
  workDuration: Histogram<'name'>;
  queueRetries: Counter<'name'>;
  ovsRequestLatency: Histogram<'db' | 'method' | 'code'>;
  syncDuration: Histogram<'phase'>;
  nbOperations: Counter<'table' | 'op'>;
  nbTransactions: Counter<'result'>;
  wasmTaskDuration: Histogram<'kernel'>;
  heapCollections: Histogram;
  invalidObjects: Counter<'kind' | 'reason'>;
  stateLoads: Counter<'outcome' | 'reason'>;
  migrationNbLatency: Histogram<'stage'>;
  migrationSbLatency: Histogram<'stage'>;
}

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(opts: { defaultMetrics?: boolean } = {}): ControllerMetrics {
  const registry = new Registry();
  if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    queueDepth: new Gauge({ name: 'workqueue_depth', help: 'Current depth of the work queue', labelNames: ['name'], registers }),
    queueAdds: new Counter({ name: 'workqueue_adds_total', help: 'Keys added to the work queue', labelNames: ['name'], registers }),
    queueDuration: new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'Time a key waits in the queue before it is processed',
      labelNames: ['name'],
      buckets: latencyBuckets,
      registers,
    }),
    workDuration: new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'Time processing a batch of keys takes',
      labelNames: ['name'],
      buckets: latencyBuckets,
      registers,
    }),
    queueRetries: new Counter({ name: 'workqueue_retries_total', help: 'Keys re-queued after a failure', labelNames: ['name'], registers }),
    ovsRequestLatency: new Histogram({
      name: 'ovs_client_request_latency_milliseconds',
      help: 'OVSDB request latency',
      labelNames: ['db', 'method', 'code'],
      buckets: [0.5, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    syncDuration: new Histogram({
      name: 'ovnscale_sync_duration_seconds',
      help: 'Duration of a bulk sync phase',
      labelNames: ['phase'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600],
      registers,
    }),
    heapCollections: new Histogram({
      name: 'ovnscale_heap_governor_collection_seconds',
      help: 'Full collections the heap governor made past --heap-target-mb',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5],
      registers,
    }),
    nbOperations: new Counter({ name: 'ovnscale_nb_operations_total', help: 'NB operations sent, by table and op', labelNames: ['table', 'op'], registers }),
    nbTransactions: new Counter({ name: 'ovnscale_nb_transactions_total', help: 'NB write transactions, by result', labelNames: ['result'], registers }),
    wasmTaskDuration: new Histogram({
      name: 'ovnscale_wasm_task_duration_seconds',
      help: 'Duration of a wasm kernel batch',
      labelNames: ['kernel'],
      buckets: latencyBuckets,
      registers,
    }),
    invalidObjects: new Counter({
      name: 'ovnscale_invalid_objects_total',
      help: 'Kubernetes objects rejected as invalid, by kind and reason',
      labelNames: ['kind', 'reason'],
      registers,
    }),
    stateLoads: new Counter({
      name: 'ovnscale_state_file_loads_total',
      help: 'Warm-restart state file at startup: loaded, absent, or rejected (with the reason)',
      labelNames: ['outcome', 'reason'],
      registers,
    }),
    migrationNbLatency: new Histogram({
      name: 'ovnscale_migration_nb_seconds',
      help: 'Live migration: from the controller seeing a stage change to the NB commit of the VM port options',
      labelNames: ['stage'],
      buckets: latencyBuckets,
      registers,
    }),
    migrationSbLatency: new Histogram({
      name: 'ovnscale_migration_sb_seconds',
      help: 'Live migration: from the controller seeing a stage change to the SB Port_Binding showing the chassis',
      labelNames: ['stage'],
      buckets: latencyBuckets,
      registers,
    }),
  };
}
