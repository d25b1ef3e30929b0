// Parsing and validating the `unitscope.*` settings. Pure: no `vscode` import, so it is
// unit-tested in node; config.ts feeds it from the workspace configuration.

import * as path from "node:path";
import type { LoadModelParams } from "./protocol.generated";

export const DEVICES = ["auto", "cpu", "cuda"] as const;
export type Device = (typeof DEVICES)[number];

/** Architectures offered by "Load checkpoint"; `undefined` means: let the daemon detect it. */
export const ARCHITECTURE_CHOICES: readonly { label: string; architecture: string | undefined; detail: string }[] = [
  { label: "auto-detect", architecture: undefined, detail: "Infer the architecture from the checkpoint's parameter names" },
  { label: "alexnet", architecture: "alexnet", detail: "torchvision AlexNet" },
  { label: "vgg16", architecture: "vgg16", detail: "torchvision VGG-16" },
  { label: "resnet18", architecture: "resnet18", detail: "torchvision ResNet-18" },
  { label: "smallcnn", architecture: "smallcnn", detail: "UnitScope's small demo CNN" },
];

export interface Settings {
  server: {
    /** Empty: discover the daemon (see serverDiscovery.ts). */
    command: string;
    args: string[];
    /** The `dotnet` that runs a daemon `.dll`. */
    dotnetPath: string;
    /** Connect to `unitscope serve --tcp` here instead of starting a daemon; undefined: start one. */
    remote: { host: string; port: number } | undefined;
    /**
     * The remote daemon's token (`initializationOptions.token`) as written in the settings: deprecated, since
     * settings can be synced or committed; `tokenFile` wins over it.
     */
    token: string;
    /** A file whose first line is the remote daemon's token, as written (not yet resolved); "" for none. */
    tokenFile: string;
  };
  /** The most pixels an image may have, for a daemon this window starts (UNITSCOPE_MAX_IMAGE_PIXELS); undefined: the daemon's default. */
  maxImagePixels: number | undefined;
  /** Workspace glob of the checkpoints the UnitScope view lists. */
  checkpointGlob: string;
  /** Probe dataset for dissection: "probe" or a Broden-format folder as written (not yet resolved). */
  dataset: string;
  /** Cache folder for the daemon (results, the probe set), as written; "" for the daemon's default. */
  cacheDirectory: string;
  /** Checkpoint to load at start-up, as written in the settings (not yet resolved); "" for none. */
  checkpoint: string;
  device: Device;
  /** [height, width], or undefined for the architecture's default. */
  inputSize: [number, number] | undefined;
  mean: number[] | undefined;
  std: number[] | undefined;
}

export interface ParsedSettings {
  settings: Settings;
  /** One line per setting that was ignored, for the user: "unitscope.device: …". */
  problems: string[];
}

export const DEFAULT_SERVER_ARGS: readonly string[] = ["serve"];
export const DEFAULT_CHECKPOINT_GLOB = "**/*.{pth,pt,th,safetensors}";
export const PROBE_DATASET = "probe";

/**
 * Reads every setting through `get` (the raw value, `undefined` when unset) and returns
 * settings that are always usable: an invalid value falls back to its default and is reported.
 */
export function parseSettings(get: (key: string) => unknown): ParsedSettings {
  const problems: string[] = [];
  const problem = (key: string, text: string) => problems.push(`unitscope.${key}: ${text}`);

  const command = get("server.command");
  let serverCommand = "";
  if (typeof command === "string") serverCommand = command.trim();
  else if (command !== undefined && command !== null) problem("server.command", "must be a string; ignored.");

  const args = get("server.args");
  let serverArgs = [...DEFAULT_SERVER_ARGS];
  if (Array.isArray(args) && args.every((a) => typeof a === "string")) {
    if (args.length > 0) serverArgs = [...args];
  } else if (args !== undefined && args !== null) {
    problem("server.args", 'must be an array of strings; using ["serve"].');
  }

  const checkpointRaw = get("checkpoint");
  let checkpoint = "";
  if (typeof checkpointRaw === "string") checkpoint = checkpointRaw.trim();
  else if (checkpointRaw !== undefined && checkpointRaw !== null) problem("checkpoint", "must be a path; ignored.");

  const deviceRaw = get("device");
  let device: Device = "auto";
  if (typeof deviceRaw === "string" && (DEVICES as readonly string[]).includes(deviceRaw)) device = deviceRaw as Device;
  else if (deviceRaw !== undefined && deviceRaw !== null && deviceRaw !== "") problem("device", `must be one of ${DEVICES.join(", ")}; using auto.`);

  const dotnetPath = stringSetting(get("server.dotnetPath"), "dotnet", (t) => problem("server.dotnetPath", t));
  const remote = parseRemote(get("server.remote"), (t) => problem("server.remote", t));
  const token = stringSetting(get("server.token"), "", (t) => problem("server.token", t));
  const tokenFile = stringSetting(get("server.tokenFile"), "", (t) => problem("server.tokenFile", t));
  const maxImagePixels = parseMaxImagePixels(get("maxImagePixels"), (t) => problem("maxImagePixels", t));
  const checkpointGlob = stringSetting(get("checkpointGlob"), DEFAULT_CHECKPOINT_GLOB, (t) => problem("checkpointGlob", t));
  const dataset = stringSetting(get("dissection.dataset"), PROBE_DATASET, (t) => problem("dissection.dataset", t));
  const cacheDirectory = stringSetting(get("cacheDirectory"), "", (t) => problem("cacheDirectory", t));

  const inputSize = parseInputSize(get("inputSize"), (t) => problem("inputSize", t));
  const mean = parseChannelVector(get("mean"), false, (t) => problem("mean", t));
  const std = parseChannelVector(get("std"), true, (t) => problem("std", t));

  return {
    settings: {
      server: { command: serverCommand, args: serverArgs, dotnetPath, remote, token, tokenFile },
      maxImagePixels,
      checkpoint,
      device,
      inputSize,
      mean,
      std,
      checkpointGlob,
      dataset,
      cacheDirectory,
    },
    problems,
  };
}

/** A string setting, trimmed; empty or unset gives `fallback`. */
function stringSetting(raw: unknown, fallback: string, problem: (text: string) => void): string {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw !== "string") {
    problem(`must be a string; using ${fallback ? `"${fallback}"` : "the default"}.`);
    return fallback;
  }
  return raw.trim() || fallback;
}

/** "host:port", "[::1]:port", or a bare port (127.0.0.1); empty: none. */
export function parseRemote(raw: unknown, problem: (text: string) => void): { host: string; port: number } | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "string") {
    problem('must be "host:port"; starting a local daemon instead.');
    return undefined;
  }
  const text = raw.trim();
  if (!text) return undefined;
  const m = /^(?:(?:\[([^\]]+)\]|([^:\s[\]]+)):)?(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) {
    problem(`"${text}" is not host:port (e.g. gpu-box:7000); starting a local daemon instead.`);
    return undefined;
  }
  return { host: m[1] ?? m[2] ?? "127.0.0.1", port };
}

function parseMaxImagePixels(raw: unknown, problem: (text: string) => void): number | undefined {
  if (raw === undefined || raw === null || raw === 0) return undefined;
  if (typeof raw === "number" && Number.isSafeInteger(raw) && raw > 0) return raw;
  problem("must be a positive whole number of pixels; using the daemon's default.");
  return undefined;
}

function parseInputSize(raw: unknown, problem: (text: string) => void): [number, number] | undefined {
  if (raw === undefined || raw === null || raw === "") return undefined;
  const ok = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n) && n > 0 && n <= 8192;
  if (ok(raw)) return [raw, raw];
  if (Array.isArray(raw) && raw.length === 2 && raw.every(ok)) return [raw[0], raw[1]];
  problem("must be a positive integer (square side) or [height, width]; using the architecture's default.");
  return undefined;
}

function parseChannelVector(raw: unknown, positive: boolean, problem: (text: string) => void): number[] | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (Array.isArray(raw) && raw.length === 0) return undefined;
  const valid =
    Array.isArray(raw) && (raw.length === 1 || raw.length === 3) && raw.every((v) => typeof v === "number" && Number.isFinite(v) && (!positive || v > 0));
  if (valid) return [...(raw as number[])];
  problem(
    `must be 1 or 3 ${positive ? "positive " : ""}numbers, e.g. ${positive ? "[0.229, 0.224, 0.225]" : "[0.485, 0.456, 0.406]"}; using the architecture's default.`,
  );
  return undefined;
}

/** The `unitscope/loadModel` params for a checkpoint, an optional architecture and the settings. */
export function loadModelParams(checkpointPath: string, architecture: string | undefined, settings: Settings): LoadModelParams {
  const params: LoadModelParams = { path: checkpointPath };
  if (architecture) params.architecture = architecture;
  if (settings.inputSize) params.inputSize = [...settings.inputSize];
  if (settings.mean) params.mean = [...settings.mean];
  if (settings.std) params.std = [...settings.std];
  if (settings.device !== "auto") params.device = settings.device;
  return params;
}

/**
 * Resolves a path written in the settings: `${workspaceFolder}` and a leading `~/` are expanded,
 * a relative path is taken from the first workspace folder. Undefined when it cannot be resolved.
 */
export function resolveSettingPath(raw: string, workspaceFolders: readonly string[], home: string): string | undefined {
  let p = raw.trim();
  if (!p) return undefined;
  const first = workspaceFolders[0];
  if (p.includes("${workspaceFolder}")) {
    if (!first) return undefined;
    p = p.split("${workspaceFolder}").join(first);
  }
  if (p === "~" || p.startsWith("~/")) p = path.join(home, p.slice(1));
  if (path.isAbsolute(p)) return path.normalize(p);
  return first ? path.resolve(first, p) : undefined;
}

export const CHECKPOINT_EXTENSIONS: readonly string[] = ["pth", "pt", "th", "safetensors"];
export const IMAGE_EXTENSIONS: readonly string[] = ["png", "jpg", "jpeg", "bmp"];
