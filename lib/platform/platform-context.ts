// The contract lives in lib/core so that training, serving and drift import downwards only.
export type { IMlopsPlatform } from '../core/platform-context';
