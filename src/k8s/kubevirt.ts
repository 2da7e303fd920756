/** Labels KubeVirt puts on virt-launcher pods. */
export const VM_NAME_LABEL = 'vm.kubevirt.io/name';
/** On a migration's target launcher pod: the VirtualMachineInstanceMigration's uid. */
export const MIGRATION_JOB_LABEL = 'kubevirt.io/migrationJobUID';

/** The VM a virt-launcher pod runs, or undefined for any other pod. */
export function vmNameOf(pod: { labels: Readonly<Record<string, string>> }): string | undefined {
  return pod.labels['kubevirt.io'] === 'virt-launcher' ? pod.labels[VM_NAME_LABEL] || undefined : undefined;
}
