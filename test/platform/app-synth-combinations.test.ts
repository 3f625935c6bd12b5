import { describe, expect, it } from 'vitest';
import { TerraformStack } from '../../lib/core/cdktf';
import { MlopsPlatform, type IRegistryDatabase } from '../../lib';
import { synthApp } from '../support/app-synth';

// A company's own database (a managed Postgres outside this library): no random resource of its own.
const companyDatabase: IRegistryDatabase = {
  kind: 'company-postgres',
  uriSecret: { name: 'mlflow-db', key: 'uri' },
  authDatabaseName: 'mlflow_auth',
  egress: [{ name: 'company-postgres', to: [{ cidr: '10.20.0.0/16' }], ports: [{ port: 5432 }] }],
  allowConnectionsFrom: () => undefined,
};

const databases = { 'in-cluster Postgres': undefined, "a company's own database": companyDatabase } as const;
const auths = { 'auth on': true, 'auth off': false } as const;
const monitorings = { 'with Monitoring': undefined, 'without Monitoring': false } as const;

describe('every combination of database, tracking auth and monitoring synthesizes through the app (cdktf validations on)', () => {
  for (const [dbName, database] of Object.entries(databases)) {
    for (const [authName, enabled] of Object.entries(auths)) {
      for (const [monName, monitoring] of Object.entries(monitorings)) {
        it(`${dbName}, ${authName}, ${monName}`, () => {
          // app.synth() throws on cdktf's validation errors, e.g. a random_password without a random provider
          const stacks = synthApp((app) => {
            const stack = new TerraformStack(app, 'combo');
            new MlopsPlatform(stack, 'Platform', { database, monitoring, tracking: { auth: { enabled } } });
          });
          const json = stacks.combo.json;
          const passwords = Object.keys(json.resource?.random_password ?? {});
          if (passwords.length > 0) expect(json.provider?.random).toHaveLength(1);
        });
      }
    }
  }
});
