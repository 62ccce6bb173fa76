#!/usr/bin/env node
// Launcher only: the CLI lives in dist/cli/main.js (built from src/cli/main.ts by `npm run build`, run by `prepare`).
import("../dist/cli/main.js").then((m) => m.main()).catch((err) => {
  if (err && err.code === "ERR_MODULE_NOT_FOUND" && String(err.message).includes("dist/cli/main.js")) {
    process.stderr.write("agent-chat: the CLI is not built. Run `npm run build` in the package folder.\n");
  } else {
    process.stderr.write(`agent-chat: ${err && err.message ? err.message : err}\n`);
  }
  process.exit(1);
});
