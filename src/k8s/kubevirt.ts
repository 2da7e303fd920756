/** Labels KubeVirt puts on virt-launcher pods. */
export const VM_NAME_LABEL = 'vm.kubevirt.io/name';
/** On a migration's target launcher pod: the VirtualMachineInstanceMigration's uid. */
export const MIGRATION_JOB_LABEL = 'kubevirt.io/migrationJobUID';
