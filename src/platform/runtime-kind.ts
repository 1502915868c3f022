/** Which runtime runs skein: what the rest of skein asks instead of looking for Bun or Deno itself. */

export type RuntimeKind = "node" | "bun" | "deno";

const g = globalThis as { Bun?: unknown; Deno?: unknown };

/** The runtime running this thread. */
export const runtimeKind: RuntimeKind = typeof g.Bun === "object" ? "bun" : typeof g.Deno === "object" ? "deno" : "node";

/** Its name, for messages. */
export const runtimeLabel = ({ node: "Node", bun: "Bun", deno: "Deno" } as const)[runtimeKind];
