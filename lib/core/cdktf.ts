/**
 * The one module that imports `cdktf` directly. Everything else in the library
 * imports these names from here, so a move to the community fork (CDK Terrain)
 * is a change of this file and of package.json.
 */
export {
  App,
  Fn,
  Lazy,
  TerraformOutput,
  TerraformStack,
  TerraformProvider,
  TerraformResource,
  TerraformDataSource,
  TerraformIterator,
  TerraformVariable,
  Testing,
  Token,
  Tokenization,
  S3Backend,
  LocalBackend,
  Aspects,
  TerraformAsset,
  AssetType,
  dependable,
  DefaultTokenResolver,
  StringConcat,
} from 'cdktf';
export type { IResolvable, IResolveContext, ITerraformDependable, TerraformMetaArguments, IAspect } from 'cdktf';

/**
 * Whether `x` is a dynamic block (`TerraformDynamicBlock`, which cdktf's index does not export), by
 * the registered symbol cdktf's own `TerraformDynamicBlock.isTerraformDynamicBlock` checks.
 */
export function isDynamicBlock(x: unknown): boolean {
  return x !== null && typeof x === 'object' && Symbol.for('cdktf/TerraformDynamicBlock') in x;
}
