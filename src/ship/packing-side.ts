/**
 * The sending side of shipping, whole: what ship/packing.ts hands calls to. Only the package's
 * entry imports it (package-entry.ts), so that a thread worker loads it with the public API, not at
 * boot.
 */
export { checkCallable, codeFor, privateMembers } from "./shipment.js";
export { hintModule, moduleOption } from "./locate-by-source.js";
