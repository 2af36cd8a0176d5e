/**
 * Policies: syd's command language (`-m`, `.syd-3` files, profiles), the effective policy it
 * builds, and its compilation into the JSON document libsyd.so loads.
 *
 * @module
 */
export { type Address, formatAddress, parseAddress } from "./address.ts";
export { dropRefusal, LOCK_RANK } from "./drop.ts";
export {
  compile,
  type CompiledLimits,
  type CompiledPolicy,
  compileLimits,
  type PoolSettings,
} from "./compile.ts";
export {
  type Command,
  CommandError,
  formatCommand,
  isSetidSyntax,
  parseCommand,
  parseSize,
} from "./parse.ts";
export { checkPattern, covers, PatternError, starRunNotes } from "./pattern.ts";
export { type Profile, PROFILES } from "./profiles.ts";
export {
  type Applied,
  type Diagnostic,
  expandEnv,
  formatDiagnostic,
  load,
  type LoadResult,
  type SourceSpec,
} from "./sources.ts";
export {
  apply,
  dump,
  type EnvOp,
  formatOrigin,
  initialState,
  type Origin,
  type PolicyState,
  startLimits,
} from "./state.ts";
export {
  type CompiledSetid,
  setidRefusal,
  type SetidStartProblem,
  type SetidState,
  startSetid,
} from "./setid.ts";
export {
  type CompiledNamespaces,
  isBindSyntax,
  type Namespace,
  NAMESPACES,
  type NamespacesState,
  type NamespaceStartProblem,
  namespaceStartProblems,
  startNamespaces,
} from "./namespaces.ts";
export { ACTIONS, CATEGORIES, type Category } from "./vocab.ts";
