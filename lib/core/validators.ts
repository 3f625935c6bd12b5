import { z } from 'zod';
import { Token } from './cdktf';

// Cron schedules live in cron.ts; they stay part of the public `validators` namespace.
export { cronPeriodSeconds, cronProblem, cronShortestGapSeconds, spreadSchedule, type CronSyntax } from './cron';

/**
 * zod schemas for the values the library accepts from users. Each message says
 * what is allowed, with an example, because it is shown next to the bad value.
 */

const RFC1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A Kubernetes object name that must be an RFC 1123 label (namespaces, services, most names). @internal */
export const k8sName = z
  .string()
  .refine((v) => v.length <= 63 && RFC1123_LABEL.test(v), {
    message:
      'must be an RFC 1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit, at most 63 characters (e.g. "mlops-prod")',
  });

/** A name that is used as a prefix of generated names, so it leaves room for suffixes. @internal */
export const k8sNamePrefix = z
  .string()
  .refine((v) => v.length <= 40 && RFC1123_LABEL.test(v), {
    message:
      'must be an RFC 1123 label of at most 40 characters (suffixes are added to it): lowercase letters, digits and "-" (e.g. "churn-model")',
  });

/** Any Kubernetes quantity: a decimal number with a binary (Ki..Ei), decimal (n, u, m, k..E) or exponent (e9) suffix. */
const QUANTITY = /^\+?(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;
const QUANTITY_FACTORS: Record<string, number> = {
  '': 1, n: 1e-9, u: 1e-6, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};
/** The value of a Kubernetes quantity (`1.5Gi`, `250m`, `2e9`), or NaN when it is not one. */
export function parseQuantity(v: string): number {
  const m = QUANTITY.exec(v);
  if (!m) return NaN;
  const suffix = m[2] ?? '';
  const factor = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : QUANTITY_FACTORS[suffix]!;
  return Number(m[1]) * factor;
}

/** CPU quantity: cores (`1`, `0.5`), millicores (`500m`), or any other quantity form (`2e0`). @internal */
export const cpuQuantity = z.string().refine((v) => {
  const cores = parseQuantity(v);
  // Kubernetes keeps CPU to whole millicores (it rounds "1.5m" up); "500M" is 500 million cores, not memory.
  return /^[^a-zA-Z]*(m|[eE][+-]?\d+)?$/.test(v) && cores >= 0.001 && Math.abs(cores * 1000 - Math.round(cores * 1000)) < 1e-9;
}, {
  message: 'must be a Kubernetes CPU quantity of whole millicores, at least 1m: cores ("1", "0.5", "2e0") or millicores ("250m")',
});

/** Memory or storage quantity (`512Mi`, `2Gi`, `1.5Gi`, `2e9`). `1GB` is not a Kubernetes quantity. @internal */
export const memoryQuantity = z.string().refine((v) => parseQuantity(v) >= 1, {
  message:
    'must be a Kubernetes quantity of at least 1 byte such as "512Mi", "2Gi", "1.5Gi" or "2e9" (binary suffixes Ki, Mi, Gi, Ti; decimal k, M, G, T; "1GB" and "1gi" are not quantities)',
});

/** Cores as a number, from a validated CPU quantity. */
export function parseCpu(v: string): number {
  return parseQuantity(v);
}

/** Bytes, from a validated memory quantity. */
export function parseMemory(v: string): number {
  return parseQuantity(v);
}

/** A positive whole number, e.g. replicas. @internal */
export const positiveInt = z.number().int({ message: 'must be a whole number' }).min(1, { message: 'must be at least 1' });
/** @internal */
export const nonNegativeInt = z.number().int({ message: 'must be a whole number' }).min(0, { message: 'must be 0 or more' });

// ---- images ----------------------------------------------------------------

const IMAGE =
  /^(?:(?<registry>(?:[a-zA-Z0-9-]+\.)+[a-zA-Z0-9-]+(?::\d+)?|localhost(?::\d+)?|[a-zA-Z0-9-]+:\d+)\/)?(?<path>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)(?::(?<tag>[\w][\w.-]{0,127}))?(?:@(?<digest>sha256:[a-f0-9]{64}))?$/;

/** Returns why an image reference is not pinned, or undefined when it is. */
export function imageProblem(ref: string): string | undefined {
  const m = IMAGE.exec(ref);
  if (!m?.groups) return 'is not a valid image reference (expected registry/repository:tag or repository@sha256:<digest>)';
  const { tag, digest } = m.groups;
  if (!tag && !digest) return 'has no tag: pin a version (e.g. "ghcr.io/mlflow/mlflow:v3.1.1") or a digest, so every node runs the same image';
  if (tag === 'latest' && !digest) return 'uses ":latest": pin a version or a digest, so every node runs the same image';
  return undefined;
}

/** A container image pinned by tag (not `latest`) or digest. @internal */
export const imageRef = z.string().superRefine((v, ctx) => {
  const problem = imageProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

// ---- durations -------------------------------------------------------------

const DURATION_UNITS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 };
const DURATION = /^(?:\d+(?:ms|s|m|h|d|w|y))+$/;

/** Seconds in a Prometheus-style duration (`90s`, `5m`, `1h30m`, `15d`). */
export function parseDuration(v: string): number {
  if (!DURATION.test(v)) return NaN;
  let total = 0;
  for (const m of v.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
  return total;
}

/** A duration such as `30s`, `5m`, `1h30m`, `2d` (units ms, s, m, h, d, w, y). @internal */
export const duration = z.string().refine((v) => parseDuration(v) > 0, {
  message: 'must be a duration greater than 0 such as "30s", "5m", "1h30m" or "2d" (units ms, s, m, h, d, w, y)',
});

/** Formats seconds as the largest exact Prometheus duration unit (`3600` -> `1h`). */
export function formatDuration(seconds: number): string {
  for (const [unit, size] of [['w', 604800], ['d', 86400], ['h', 3600], ['m', 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${Math.round(seconds)}s`;
}

/**
 * A time-zone database name for a CronJob's `timeZone` (`UTC`, `Europe/Berlin`,
 * `America/Argentina/Buenos_Aires`, `EST`); Kubernetes rejects names it cannot load.
 * @internal
 */
export const ianaTimeZone = z.string().refine((v) => knownTimeZone(v), {
  message: 'must be a time zone of the IANA database that exists, such as "UTC", "Europe/Berlin" or "America/Argentina/Buenos_Aires"',
});

/** Environment variable names as Kubernetes accepts them. @internal */
export const envVarName = z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, {
  message: 'must be an environment variable name: letters, digits, "_", "-" and ".", not starting with a digit',
});

/** A reference to a key of an existing Kubernetes Secret. @internal */
export const secretKeyRef = z.strictObject({ name: k8sName, key: z.string().min(1) });

/** A Kubernetes name, or a token that resolves to one at apply time (e.g. `MlopsNamespace.name`). @internal */
export const k8sNameOrToken = z.union([z.string().refine((v) => Token.isUnresolved(v)), k8sName], {
  message: 'must be an RFC 1123 label such as "mlops" (or a token resolving to one)',
});

// ---- Kubernetes metadata -----------------------------------------------------

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `key` is not a label or annotation key (`[prefix/]name`), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix)) return 'has a prefix that is not a DNS subdomain (lowercase, e.g. "example.com/team")';
  if (!(name.length <= 63 && QUALIFIED_NAME.test(name))) {
    return 'must be a Kubernetes qualified name: an optional DNS-subdomain prefix and "/", then at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit (e.g. "team" or "example.com/team")';
  }
  return undefined;
}

const labelKey = z.string().superRefine((v, ctx) => {
  const problem = labelKeyProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A label value: empty, or at most 63 letters, digits, "-", "_", "." starting and ending alphanumeric. @internal */
export const labelValue = z.string().refine((v) => v === '' || (v.length <= 63 && QUALIFIED_NAME.test(v)), {
  message: 'must be a Kubernetes label value: empty, or at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
});

/** Labels (also node selectors): keys and values as Kubernetes accepts them. @internal */
export const labelsSchema = z.record(labelKey, labelValue);

/** Annotations: keys as for labels; values are free text (at most 256 KiB in total, as the API server enforces). @internal */
export const annotationsSchema = z.record(labelKey, z.string()).refine((a) => Object.entries(a).reduce((n, [k, v]) => n + k.length + v.length, 0) <= 262144, {
  message: 'annotations must be at most 256 KiB in total',
});

/** A toleration, with the provider's field names; unknown fields (a typo like `operater`) are rejected. @internal */
export const tolerationSchema = z
  .strictObject({
    key: labelKey.optional(),
    operator: z.enum(['Equal', 'Exists']).optional(),
    value: labelValue.optional(),
    effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
    tolerationSeconds: z.string().regex(/^\d+$/, { message: 'must be whole seconds as a string, e.g. "300"' }).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.operator === 'Exists' && t.value) ctx.addIssue({ code: 'custom', path: ['value'], message: 'must be empty with operator "Exists"' });
    if (!t.key && t.operator !== 'Exists') ctx.addIssue({ code: 'custom', path: ['operator'], message: 'must be "Exists" when no key is given (tolerate every taint)' });
    if (t.tolerationSeconds !== undefined && t.effect !== 'NoExecute') ctx.addIssue({ code: 'custom', path: ['tolerationSeconds'], message: 'applies to effect "NoExecute" only' });
  });

// ---- formats -------------------------------------------------------------------

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Why `v` is not an IPv4 or IPv6 CIDR, or undefined. */
export function cidrProblem(v: string): string | undefined {
  const [ip, bits, extra] = v.split('/');
  if (extra !== undefined || ip === undefined || bits === undefined || !/^\d{1,3}$/.test(bits)) return 'must be a CIDR such as "10.0.0.0/16" or "fd00::/8"';
  if (IPV4.test(ip)) return Number(bits) <= 32 ? undefined : 'has a prefix length above 32';
  const v6 = /^[0-9a-fA-F:]+$/.test(ip) && ip.includes(':') && (ip.match(/::/g) ?? []).length <= 1 && ip.split(':').every((g) => g.length <= 4);
  if (v6) return Number(bits) <= 128 ? undefined : 'has a prefix length above 128';
  return 'must be a CIDR such as "10.0.0.0/16" or "fd00::/8"';
}
/** @internal */
export const cidr = z.string().superRefine((v, ctx) => {
  const problem = cidrProblem(v);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** An http(s) URL with a host and, if given, a port from 1 to 65535. Never throws on bad input. @internal */
export const httpUrl = z.string().superRefine((v, ctx) => {
  const port = /^https?:\/\/(?:[^@/]*@)?(?:\[[^\]]*\]|[^:/?#]*)(?::(\d*))?(?:[/?#]|$)/i.exec(v);
  let ok = false;
  try {
    const u = new URL(v);
    ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !/\s/.test(v);
  } catch {
    ok = false;
  }
  if (ok && port?.[1] !== undefined && !(Number(port[1]) >= 1 && Number(port[1]) <= 65535)) {
    ctx.addIssue({ code: 'custom', message: `has port ${port[1] || '(empty)'}; a port is 1 to 65535` });
  } else if (!ok) ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL such as "https://hooks.example.com/alerts"' });
});

/** A DNS hostname (lowercase, with at least one dot). @internal */
export const hostname = z.string().regex(/^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, {
  message: 'must be a fully qualified lowercase DNS name such as "churn.example.com"',
});
/** A hostname as the Gateway API accepts it: a DNS name, optionally with a leading `*.` wildcard. @internal */
export const gatewayHostname = z.string().regex(/^(\*\.)?(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/, {
  message: 'must be a lowercase DNS name such as "churn.example.com", optionally with a leading "*." wildcard',
});

/** An AWS region code such as `eu-west-1`, `us-gov-west-1`, `cn-north-1`. @internal */
export const awsRegion = z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/, {
  message: 'must be an AWS region code such as "eu-west-1" or "us-east-2"',
});

/** An OIDC issuer URL: https, a host, no query or fragment (e.g. the EKS cluster's issuer). @internal */
export const oidcIssuer = z.string().regex(/^https:\/\/[a-z0-9.-]+(:\d{1,5})?(\/[A-Za-z0-9._~%/-]*)?$/, {
  message: 'must be an https OIDC issuer URL without query or fragment, e.g. "https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"',
});

/** A KMS alias name without `alias/`: letters, digits, `/_-`, not starting with `aws/` (reserved by AWS). @internal */
export const kmsAliasName = z.string().refine((v) => /^[a-zA-Z0-9/_-]{1,250}$/.test(v) && !v.startsWith('aws/') && !v.startsWith('alias/'), {
  message: 'must be 1-250 letters, digits, "/", "_" and "-", without the "alias/" prefix and not starting with "aws/" (reserved by AWS)',
});

/** An IngressClass name (a DNS subdomain, e.g. "nginx"). @internal */
export const ingressClassName = z.string().regex(DNS_SUBDOMAIN, { message: 'must be an IngressClass name: a lowercase DNS subdomain such as "nginx" or "alb"' });

/** A Helm chart version: an exact semantic version such as "5.3.0" (pinned, no ranges). @internal */
export const chartVersion = z.string().regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/, {
  message: 'must be an exact chart version such as "5.3.0" (a range would make plans change under you)',
});

/** An RDS endpoint address: `<name>.<id>.<region>.rds.amazonaws.com` (a hostname), optionally `:port`. @internal */
export const rdsEndpoint = z.string().regex(/^(?=.{1,253}(:\d+)?$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+(:([1-9]\d{0,3}|[1-5]\d{4}|6[0-4]\d{3}|65[0-4]\d{2}|655[0-2]\d|6553[0-5]))?$/, {
  message: 'must be a database hostname such as "mlflow.abc123.eu-west-1.rds.amazonaws.com", optionally with ":5432"',
});

let zones: Set<string> | undefined;
/**
 * Whether `tz` is a time zone of the runtime's IANA database (`Intl.supportedValuesOf`), or one
 * of its aliases (`US/Pacific`, `Etc/GMT+5`) that Intl resolves; segments start with a capital,
 * as the database spells them (Kubernetes loads the name case-sensitively).
 */
export function knownTimeZone(tz: string): boolean {
  zones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC', 'Etc/UTC', 'GMT', 'Etc/GMT']);
  if (zones.has(tz)) return true;
  if (!/^[A-Z][A-Za-z0-9_+-]*(\/[A-Z][A-Za-z0-9_+-]*)*$/.test(tz)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** A store path or prefix that never climbs out of its root: no `..` segment. */
export const noDotDot = (v: string) => !v.split('/').includes('..');

/** The name of most Kubernetes objects (a ClusterIssuer, a StorageClass): a lowercase DNS subdomain. @internal */
export const dnsSubdomainName = z.string().regex(DNS_SUBDOMAIN, { message: 'must be a Kubernetes object name: a lowercase DNS subdomain such as "letsencrypt-prod"' });

/**
 * An object implementing an interface, checked by its members so that a wrong
 * value (a string, an incomplete object from JavaScript) is a ValidationError
 * here rather than a TypeError later. `methods` must be functions, `fields` present.
 * @internal
 */
export function implementing<T>(what: string, methods: readonly string[], fields: readonly string[] = []) {
  const members = [...fields, ...methods.map((m) => `${m}()`)].join(', ');
  return z.custom<T>(
    (v) =>
      typeof v === 'object' && v !== null &&
      methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function') &&
      fields.every((f) => (v as Record<string, unknown>)[f] !== undefined),
    { message: `must be ${/^[AEIOU]/.test(what) ? 'an' : 'a'} ${what} (an object with ${members})` },
  );
}

/** The interfaces constructs receive, checked by {@link implementing}. @internal */
export const contracts = {
  cloudIdentity: () => implementing<import('./identity').ICloudIdentity>('ICloudIdentity', ['associate', 'attachPolicy'], ['credentialEgress']),
  monitoringSink: () => implementing<import('./observability').IMonitoringSink>('IMonitoringSink', ['watch'], ['prometheusNamespace']),
};

/** A `NetworkPeer`: pods by labels, a namespace, or an IP range (with exceptions). @internal */
export const networkPeerSchema = z
  .strictObject({ podLabels: labelsSchema.optional(), namespace: k8sName.optional(), cidr: cidr.optional(), except: z.array(cidr).optional() })
  .refine((p) => p.podLabels !== undefined || p.namespace !== undefined || p.cidr !== undefined, { message: 'must name podLabels, a namespace or a cidr' })
  .refine((p) => p.except === undefined || p.cidr !== undefined, { message: 'except needs a cidr to cut from', path: ['except'] });
