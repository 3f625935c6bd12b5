import { createServer, type Server } from 'node:http';

/**
 * A recording stand-in for the Kubernetes API server, for the two calls our pod programs make:
 * the drift check's retraining trigger (GET the training CronJob, POST a Job) and the canary
 * judge's scaling (GET/PATCH `deployments/<name>/scale`). It stands in for kube-apiserver because
 * no cluster runs in CI; it answers like the API server does for these paths and records every
 * call, so the tests assert what the programs asked for. Everything else answers 404.
 */
export class KubeRecorder {
  public readonly calls: { method: string; path: string; body?: any }[] = [];
  /** Replicas per Deployment, as the scale subresource reports and the PATCHes set them. */
  public readonly replicas = new Map<string, number>();
  private server?: Server;
  public url = '';

  /** CronJobs the API answers GETs for, by name. */
  constructor(public readonly cronJobs: Record<string, any> = {}) {}

  public async start(): Promise<string> {
    this.server = createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const body = text ? JSON.parse(text) : undefined;
        const path = (req.url ?? '').split('?')[0]!;
        this.calls.push({ method: req.method ?? '', path, body });
        const reply = (status: number, json: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(json));
        };
        let m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/cronjobs\/([^/]+)$/.exec(path);
        if (m && req.method === 'GET') {
          const cron = this.cronJobs[m[2]!];
          return cron ? reply(200, cron) : reply(404, { kind: 'Status', code: 404, reason: 'NotFound' });
        }
        m = /^\/apis\/batch\/v1\/namespaces\/([^/]+)\/jobs$/.exec(path);
        if (m && req.method === 'POST') return reply(201, { ...body, metadata: { ...body.metadata, uid: 'recorded' } });
        m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)\/scale$/.exec(path);
        if (m) {
          if (req.method === 'PATCH') this.replicas.set(m[2]!, body.spec.replicas);
          return reply(200, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: m[2], namespace: m[1] }, spec: { replicas: this.replicas.get(m[2]!) ?? 0 } });
        }
        return reply(404, { kind: 'Status', code: 404, reason: 'NotFound' });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${address.port}`;
    return this.url;
  }

  public stop(): void {
    this.server?.close();
  }
}
