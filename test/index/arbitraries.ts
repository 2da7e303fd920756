/** fast-check generators for pods, namespaces and selectors with the edge cases the index must get right. */
import fc from 'fast-check';
import type { LabelSelector, LabelSelectorRequirement } from '../../src/k8s/records.js';
import type { SelectorSpec } from '../../src/index/selector-reference.js';

// Prefixed keys, a key named like an Object.prototype member, empty values.
export const KEYS = ['app', 'tier', 'app.kubernetes.io/name', 'example.com/team', 'toString', 'k'];
export const VALUES = ['', 'a', 'b', 'web-1', 'x.y_z'];
export const NAMESPACES = ['default', 'kube-system', 'ns-a', 'ns-b', 'ns-c'];

export const labels = fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 4 });

export const pod = fc.record({ namespace: fc.constantFrom(...NAMESPACES), labels });

const requirement: fc.Arbitrary<LabelSelectorRequirement> = fc.oneof(
  fc.record({
    key: fc.constantFrom(...KEYS),
    operator: fc.constantFrom('In', 'NotIn'),
    values: fc.uniqueArray(fc.constantFrom(...VALUES), { minLength: 1, maxLength: 3 }),
  }),
  fc.record({ key: fc.constantFrom(...KEYS), operator: fc.constantFrom('Exists', 'DoesNotExist') }),
);

export const selector: fc.Arbitrary<LabelSelector> = fc.record(
  {
    matchLabels: fc.dictionary(fc.constantFrom(...KEYS), fc.constantFrom(...VALUES), { maxKeys: 2 }),
    matchExpressions: fc.array(requirement, { maxLength: 3 }),
  },
  { requiredKeys: [] },
);

export const spec: fc.Arbitrary<SelectorSpec | null> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(null) },
  {
    weight: 12,
    arbitrary: fc.record(
      { namespace: fc.constantFrom(...NAMESPACES), namespaceSelector: selector, podSelector: selector },
      { requiredKeys: [] },
    ),
  },
);

/** Namespace records for some of the namespaces (the others have pods but no record). */
export const namespaceLabels = fc.dictionary(fc.constantFrom(...NAMESPACES), labels, { maxKeys: NAMESPACES.length });
