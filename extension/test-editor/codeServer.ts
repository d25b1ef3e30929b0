// Starting and stopping code-server (a real VS Code, offline) for the editor tests, with a user data
// folder, an extensions folder and a workspace of their own.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

export interface CodeServerOptions {
  /** The code-server launcher (node_modules/.bin/code-server of its npm install). */
  bin: string;
  /** A folder with bin/node of Node 24 (code-server needs it); prepended to PATH. */
  node24: string;
  userDataDir: string;
  extensionsDir: string;
  workspace: string;
  /** Extra environment (passed on to the extension host). */
  env?: NodeJS.ProcessEnv;
  log: string;
}

export interface CodeServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

function envFor(o: Pick<CodeServerOptions, "node24" | "env">): NodeJS.ProcessEnv {
  return { ...process.env, ...o.env, PATH: `${path.join(o.node24, "bin")}:${o.env?.PATH ?? process.env.PATH}` };
}

export function installExtension(o: Pick<CodeServerOptions, "bin" | "node24" | "userDataDir" | "extensionsDir">, vsix: string): void {
  const r = spawnSync(o.bin, ["--user-data-dir", o.userDataDir, "--extensions-dir", o.extensionsDir, "--install-extension", vsix, "--force"], {
    env: envFor(o),
    encoding: "utf8",
    timeout: 120_000,
  });
  if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr))
    throw new Error(`installing ${vsix} failed (${r.status}): ${r.stdout}\n${r.stderr}`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect({ host: "127.0.0.1", port }, () => {
      c.destroy();
      resolve(true);
    });
    c.on("error", () => resolve(false));
  });
}

export async function startCodeServer(o: CodeServerOptions): Promise<CodeServer> {
  const port = await freePort();
  const out = fs.openSync(o.log, "a");
  const child: ChildProcess = spawn(
    o.bin,
    [
      "--auth",
      "none",
      "--bind-addr",
      `127.0.0.1:${port}`,
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--user-data-dir",
      o.userDataDir,
      "--extensions-dir",
      o.extensionsDir,
      "--vscode-option",
      "enable-smoke-test-driver",
      o.workspace,
    ],
    // Its own process group: stopping it ends the extension host and the daemon too.
    { env: envFor(o), stdio: ["ignore", out, out], detached: true },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const deadline = Date.now() + 60_000;
  while (!(await listening(port))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`code-server did not start; see ${o.log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    stop: async () => {
      try {
        process.kill(-child.pid!, "SIGTERM");
      } catch {
        /* gone */
      }
      const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r("timeout"), 10_000))]);
      if (code === "timeout") {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          /* gone */
        }
      }
      fs.closeSync(out);
    },
  };
}

/** The user settings every run starts from: no AI side bar, no tips, quick hovers, the theme asked for. */
export function writeUserSettings(userDataDir: string, theme: string): void {
  fs.mkdirSync(path.join(userDataDir, "User"), { recursive: true });
  fs.writeFileSync(
    path.join(userDataDir, "User", "settings.json"),
    JSON.stringify(
      {
        "workbench.colorTheme": theme,
        "chat.disableAIFeatures": true,
        "workbench.secondarySideBar.defaultVisibility": "hidden",
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": false,
        "editor.hover.delay": 200,
        "editor.minimap.enabled": false,
        "files.simpleDialog.enable": true,
        "security.workspace.trust.enabled": false,
        "update.mode": "none",
        "extensions.autoUpdate": false,
        "extensions.autoCheckUpdates": false,
      },
      null,
      1,
    ),
  );
}
