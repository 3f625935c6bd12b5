import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it, expect } from 'vitest';
import { resourcesOf } from '../../lib/testing';
import { synthAws } from './fixture';
import { conditionOf, docOf, only, statementsOf } from './helpers';

const { json, text, built } = synthAws();
const db = only(json, 'aws_db_instance');
const dbKeyRef = `\${aws_kms_key.${Object.keys(resourcesOf(json, 'aws_kms_key')).find((k) => k.startsWith('RegistryDb_'))}.arn}`;
const releases = resourcesOf(json, 'helm_release');
const esoRelease = Object.entries(releases).find(([, r]) => r.chart === 'external-secrets')!;
const syncRelease = Object.entries(releases).find(([, r]) => /^assets\/RegistryDb_Credentials_Chart_/.test(r.chart))!;
/** The chart the sync release's asset is copied from. */
const chartSource = path.resolve(__dirname, '..', '..', 'lib', 'aws', 'charts', 'registry-db-secret');

describe('RdsRegistryDatabase security controls', () => {
  it('storage encrypted with the customer-managed KMS key', () => {
    expect(db.storage_encrypted).toBe(true);
    expect(db.kms_key_id).toBe(dbKeyRef);
  });

  it('not publicly accessible', () => {
    expect(db.publicly_accessible).toBe(false);
  });

  it('DB subnet group over the given private subnets', () => {
    expect(only(json, 'aws_db_subnet_group').subnet_ids).toEqual(['subnet-a', 'subnet-b']);
    expect(db.db_subnet_group_name).toMatch(/^\$\{aws_db_subnet_group\..+\.name\}$/);
  });

  it('security group admits 5432 only from the cluster security group, every group and rule described', () => {
    const sg = only(json, 'aws_security_group');
    expect(sg.description).toBeTruthy();
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    const rules = Object.values(resourcesOf(json, 'aws_vpc_security_group_ingress_rule'));
    expect(rules).toHaveLength(1);
    expect(rules[0]).toMatchObject({
      ip_protocol: 'tcp',
      from_port: 5432,
      to_port: 5432,
      referenced_security_group_id: '${data.aws_eks_cluster.Cluster_3DA9CCBA.vpc_config[0].cluster_security_group_id}',
    });
    expect(rules[0].description).toBeTruthy();
    expect(rules[0].cidr_ipv4).toBeUndefined();
    expect(Object.keys(resourcesOf(json, 'aws_vpc_security_group_egress_rule'))).toHaveLength(0);
  });

  it('parameter group sets rds.force_ssl = 1', () => {
    const pg = only(json, 'aws_db_parameter_group');
    expect(pg.family).toBe('postgres17');
    expect(pg.parameter).toContainEqual(expect.objectContaining({ name: 'rds.force_ssl', value: '1' }));
    expect(db.parameter_group_name).toMatch(/^\$\{aws_db_parameter_group\..+\.name\}$/);
  });

  it('backups retained at least 7 days', () => {
    expect(db.backup_retention_period).toBeGreaterThanOrEqual(7);
  });

  it('deletion protection on', () => {
    expect(db.deletion_protection).toBe(true);
    expect(db.lifecycle).toEqual({ prevent_destroy: true });
  });

  it('final snapshot on destroy', () => {
    expect(db.skip_final_snapshot).toBe(false);
    expect(db.final_snapshot_identifier).toBe('mlflow-registry-final');
  });

  it('auto_minor_version_upgrade explicitly true', () => {
    expect(db.auto_minor_version_upgrade).toBe(true);
  });

  it('CloudWatch log exports', () => {
    expect(db.enabled_cloudwatch_logs_exports).toEqual(['postgresql', 'upgrade']);
  });

  it('copy_tags_to_snapshot', () => {
    expect(db.copy_tags_to_snapshot).toBe(true);
  });

  it('production profile: Multi-AZ and Performance Insights (encrypted with the CMK) on', () => {
    expect(db.multi_az).toBe(true);
    expect(db.performance_insights_enabled).toBe(true);
    expect(db.performance_insights_kms_key_id).toBe(dbKeyRef);
  });

  it('development profile: single AZ, still encrypted, private and protected', () => {
    const dev = only(synthAws({ profile: 'development' }).json, 'aws_db_instance');
    expect(dev.multi_az).toBe(false);
    expect(dev).toMatchObject({ storage_encrypted: true, publicly_accessible: false, deletion_protection: true, skip_final_snapshot: false });
  });

  it('PostgreSQL 16 or newer', () => {
    expect(db.engine).toBe('postgres');
    expect(Number(db.engine_version.split('.')[0])).toBeGreaterThanOrEqual(16);
  });

  it('master password managed by RDS in Secrets Manager, encrypted with the CMK; no password in cdk.tf.json', () => {
    expect(db.manage_master_user_password).toBe(true);
    expect(db.master_user_secret_kms_key_id).toBe(dbKeyRef);
    expect(db.password).toBeUndefined();
    expect(db.password_wo).toBeUndefined();
    expect(text).not.toMatch(/"password"\s*:/);
    expect(Object.keys(resourcesOf(json, 'random_password'))).toHaveLength(0);
  });
});

describe('RdsRegistryDatabase credential delivery (External Secrets Operator)', () => {
  it('ESO installed from a pinned chart with CRDs, after its pod identity association', () => {
    const [, eso] = esoRelease;
    expect(eso).toMatchObject({ repository: 'https://charts.external-secrets.io', version: '2.10.0', wait: true });
    expect(JSON.parse(eso.values[0])).toMatchObject({ installCRDs: true, rbac: { aggregateToEdit: false, aggregateToAdmin: false } });
    expect(eso.depends_on).toEqual([expect.stringMatching(/^aws_eks_pod_identity_association\./)]);
  });

  it('SecretStore and ExternalSecret come from the local chart, applied after the ESO release', () => {
    const [, sync] = syncRelease;
    expect(sync.depends_on).toContain(`helm_release.${esoRelease[0]}`);
    expect(sync.namespace).toBe('mlops');
    const values = JSON.parse(sync.values[0]);
    expect(values).toMatchObject({
      secretArn: expect.stringMatching(/^\$\{aws_db_instance\..+\.master_user_secret\[0\]\.secret_arn\}$/),
      host: expect.stringMatching(/^\$\{aws_db_instance\..+\.address\}$/),
      port: 5432,
      database: 'mlflow',
      targetSecretName: 'mlflow-registry-db',
    });
    // the chart is a Terraform asset: a path relative to the stack directory, copied from lib/aws/charts
    expect(sync.chart).toMatch(/^assets\//);
    expect(fs.existsSync(path.join(chartSource, 'Chart.yaml'))).toBe(true);
  });

  it('the chart templates the URI with URL-escaped credentials and sslmode=require', () => {
    const chart = chartSource;
    const es = fs.readFileSync(path.join(chart, 'templates', 'externalsecret.yaml'), 'utf8');
    expect(es).toContain('{{ .username | urlquery }}:{{ .password | urlquery }}');
    expect(es).toContain('postgresql+psycopg2://');
    expect(es).toContain('?sslmode=require');
    expect(es).toContain('apiVersion: external-secrets.io/v1');
    const store = fs.readFileSync(path.join(chart, 'templates', 'secretstore.yaml'), 'utf8');
    expect(store).toMatch(/kind: SecretStore\b/);
    expect(store).toContain('service: SecretsManager');
  });

  it('ESO role reads only the one secret, and decrypts only via Secrets Manager', () => {
    const policy = Object.entries(resourcesOf(json, 'aws_iam_policy')).find(([k]) => k.startsWith('RegistryDb_Credentials_'))![1];
    const [read, kms] = statementsOf(docOf(json, policy.policy));
    expect(read.actions).toEqual(['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret']);
    expect(read.resources).toEqual([expect.stringMatching(/master_user_secret\[0\]\.secret_arn\}$/)]);
    expect(kms.actions).toEqual(['kms:Decrypt']);
    expect(kms.resources).toEqual([dbKeyRef]);
    expect(conditionOf(kms, 'kms:ViaService').values[0]).toMatch(/^secretsmanager\..+\.amazonaws\.com$/);
  });

  it('uriSecret, authDatabaseName, egress to the database CIDRs on 5432', () => {
    expect(built.db.uriSecret).toEqual({ name: 'mlflow-registry-db', key: 'uri' });
    expect(built.db.authDatabaseName).toBe('mlflow_auth');
    expect(built.db.egress).toEqual([{ name: 'registry-database', to: [{ cidr: '10.0.0.0/16' }], ports: [{ port: 5432 }] }]);
  });
});
