// Lets the bench (plain `node`, which only strips types) import the platform's own modules from
// src/: they import each other without extensions, as the Workers bundler allows, and use
// TypeScript that needs transforming (parameter properties). Importing this module registers the
// hooks; src/ modules must then be loaded with a dynamic `import()`.
import { existsSync, readFileSync } from "node:fs";
import { registerHooks, stripTypeScriptTypes } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const SRC = pathToFileURL(fileURLToPath(new URL("../src/", import.meta.url))).href;

registerHooks({
  resolve(specifier, context, next) {
    const relative = specifier.startsWith("./") || specifier.startsWith("../");
    if (relative && context.parentURL?.startsWith(SRC) && !/\.[cm]?[jt]s$/.test(specifier)) {
      const url = new URL(`${specifier}.ts`, context.parentURL);
      if (existsSync(fileURLToPath(url))) return { url: url.href, format: "module", shortCircuit: true };
    }
    return next(specifier, context);
  },
  load(url, context, next) {
    if (!url.startsWith(SRC) || !url.endsWith(".ts")) return next(url, context);
    const code = readFileSync(fileURLToPath(url), "utf8");
    return { format: "module", source: stripTypeScriptTypes(code, { mode: "transform", sourceUrl: url }), shortCircuit: true };
  },
});
