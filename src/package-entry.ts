/**
 * What `import "skein"` loads (dist/index.js, scripts/build.mjs): the public API of index.ts, which
 * it also hands to skein's own lookups by name (common/own-api.ts). index.ts only re-exports, and
 * nothing inside skein imports it: a thread worker loads the API only when a thread first needs it.
 */
import * as api from "./index.js";
import { provideApi } from "./common/own-api.js";
import * as packingSide from "./ship/packing-side.js";
import { providePacking } from "./ship/packing.js";

providePacking(packingSide);
provideApi(api as unknown as Record<string, unknown>);

export * from "./index.js";
