import type { ITerraformDependable } from '../core/cdktf';
import type { EgressTarget } from '../core/network';
import type { MlopsNamespace } from '../cluster/mlops-namespace';

/** A key of a Kubernetes Secret. */
export interface SecretKeySelector {
  readonly name: string;
  readonly key: string;
}

/**
 * The database behind the MLflow tracking server and model registry.
 * Implemented by {@link InClusterPostgres} and `RdsRegistryDatabase`; bring
 * your own by implementing it.
 */
export interface IRegistryDatabase {
  /** A short description for docs and outputs, e.g. `in-cluster-postgres`. */
  readonly kind: string;
  /**
   * Secret key holding the SQLAlchemy URI of the tracking database
   * (`postgresql://user:password@host:5432/mlflow`). Never a literal in the synthesized JSON.
   */
  readonly uriSecret: SecretKeySelector;
  /** The name of the database that holds MLflow's auth tables when built-in auth is on (created if missing). */
  readonly authDatabaseName: string;
  /** Network egress the tracking server needs to reach the database. */
  readonly egress: EgressTarget[];
  /**
   * Admits connections from pods with these labels (in-cluster: a NetworkPolicy;
   * cloud: the security group already admits the cluster).
   */
  allowConnectionsFrom(podLabels: Record<string, string>): void;
  /**
   * Called by the platform with the namespace the tracking server runs in, so
   * in-cluster parts of the database (e.g. a credential sync) are created after it.
   */
  useNamespace?(namespace: MlopsNamespace): void;
  /**
   * Resources whose completion means the database accepts connections (a
   * StatefulSet rolled out, an RDS instance and its credential Secret). The
   * tracking server is created after them, so its first pods do not crash-loop
   * waiting for the database.
   */
  readonly readyWhen?: ITerraformDependable[];
}
