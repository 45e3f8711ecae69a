/**
 * The engine's semantic version, stored with every run. Bump it whenever a change alters any report
 * for an unchanged spec (docs/engine-contract.md §1): comparisons refuse to compare runs of different versions.
 */
export const ENGINE_VERSION = '0.4.0';
