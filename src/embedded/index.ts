/** Real OVSDB/OVN processes in temp folders, owned by this process (tests, demo, benchmarks). */
export { startOvsdbServer, startRaftCluster, schemaName, NB_SCHEMA, SB_SCHEMA, type EmbeddedServer, type RaftCluster, type ServerOptions } from './ovsdb-server.js';
export { startOvnCentral, type OvnCentral } from './ovn-central.js';
export { killLeftovers, makeTempDir, runRoot, runTool, freePort, RUN_ROOT_ENV } from './processes.js';
