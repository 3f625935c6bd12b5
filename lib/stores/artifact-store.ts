// The artifact-store contract lives in lib/core (workloads depend on it); kept here for existing imports.
export * from '../core/artifact-store';
