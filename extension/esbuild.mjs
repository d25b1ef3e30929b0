// Bundles the extension host code (out/main.js) and the webview scripts (media/*.js).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

/** A webview script: bundled for the browser into media/NAME.js. */
function webview(entry, name) {
  return {
    entryPoints: [entry],
    outfile: `media/${name}.js`,
    bundle: true,
    platform: "browser",
    format: "iife",
    target: "es2022",
    sourcemap: false,
    minify: production,
    logLevel: "warning",
  };
}

/** @type {esbuild.BuildOptions[]} */
const builds = [
  {
    entryPoints: ["src/main.ts"],
    outfile: "out/main.js",
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    sourcemap: !production,
    minify: production,
    logLevel: "warning",
  },
  ...["unitMap", "dissection", "unitCard", "occlusion", "ablation", "ranking"].map((name) => webview(`src/webview/${name}.ts`, name)),
  // Families with their own folder: src/<family>/webview/NAME.ts.
  webview("src/seeing/webview/gallery.ts", "gallery"),
  webview("src/visualize/webview/visualize.ts", "visualize"),
  webview("src/invariance/webview/invariance.ts", "invariance"),
  webview("src/correspondence/webview/correspondence.ts", "correspondence"),
  webview("src/graph/webview/graph.ts", "graph"),
  webview("src/adversarial/webview/attack.ts", "attack"),
  webview("src/gan/webview/gan.ts", "gan"),
  webview("src/evolution/webview/evolution.ts", "evolution"),
  webview("src/evolution/webview/compare.ts", "compare"),
];

if (watch) {
  for (const options of builds) {
    const ctx = await esbuild.context(options);
    await ctx.watch();
  }
  console.log("esbuild: watching src/ …");
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
