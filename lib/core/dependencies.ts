import type { ITerraformDependable, TerraformResource } from './cdktf';
import { dependable } from './cdktf';

/** Adds `depends_on` entries to a resource after it was created (e.g. a namespace known only later). */
export function addDependsOn(resource: TerraformResource, ...deps: ITerraformDependable[]): void {
  resource.dependsOn = [...(resource.dependsOn ?? []), ...deps.map((d) => dependable(d))];
}
