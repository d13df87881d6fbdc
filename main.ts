import { loadConfig } from "./config.ts";
import { startHubNode } from "./hub-node.ts";
import { isStrayConnectionError } from "./platform/dependency.ts";

/** `npm start [-- --roles gateway,actors] [--port 3001]`: one node; flags override the environment. */
const overrides: Record<string, string> = {};
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const [flag, inline] = args[i]!.split("=", 2);
  const value = inline ?? args[++i];
  if (flag === "--roles" && value) overrides.ROLES = value;
  else if (flag === "--port" && value) overrides.PORT = value;
  else {
    console.error(`unknown argument ${args[i]}; use --roles <list> and --port <n>`);
    process.exit(2);
  }
}

// A dependency fault never kills the process (DESIGN 11): a socket error that escaped its client is
// reported and the client reconnects. Any other uncaught error is a bug: exit, the supervisor restarts.
const onUncaught = (kind: string) => (error: unknown) => {
  if (isStrayConnectionError(error)) {
    const { code, syscall, stack } = error as { code: string; syscall?: string; stack?: string };
    console.error(
      JSON.stringify({
        level: "warn",
        msg: `stray connection error ignored (${kind})`,
        code,
        syscall,
        stack,
      }),
    );
    return;
  }
  console.error(error);
  process.exit(1);
};
process.on("uncaughtException", onUncaught("exception"));
process.on("unhandledRejection", onUncaught("rejection"));

try {
  const node = await startHubNode(loadConfig(process.env, overrides));
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(JSON.stringify({ level: "info", msg: "stopping", signal }));
    await node.stop();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
} catch (error) {
  console.error(`business-hub failed to start: ${(error as Error).message}`);
  process.exit(1);
}
