/**
 * The parsers skein uses, from well-kept libraries: acorn (JavaScript to ESTree) and periscopic
 * (scopes over ESTree). The build bundles them into this module's output (scripts/build.mjs), so
 * skein has no runtime dependencies to resolve: periscopic and its helpers are ES-module-only
 * packages, which some loaders (tsx in a CommonJS project) can't resolve from a required module.
 */
export { parse } from "acorn";
export type { Node, Options } from "acorn";
export { analyze, type Scope } from "periscopic";
