/**
 * skein's internals that its own tests reach for (the handles' private symbol, the packer, the
 * Python order, the sending side of shipping), from the same bundle as the public API: not part of
 * the API, not documented for users, and free to change.
 */
export { SHARE } from "./memory/handles.js";
export { unpack, type Packed } from "./ship/values.js";
export { pythonCompare } from "./queue/python-order.js";
export { runtime } from "./runtime/runtime.js";
export { Control } from "./memory/control-block.js";
export { runCommonJs } from "./platform/code-cache.js";
export { loadApi, loadApiWith, ownApi } from "./common/own-api.js";
export { codeFor } from "./ship/packing.js";
