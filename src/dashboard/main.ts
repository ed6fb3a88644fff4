// The dashboard's entry point: bundled by scripts/build-dashboard.mjs, loaded by the shell index.html.
import { render } from "preact";
import { App } from "./app";
import { html } from "./html";
import { interceptLinks } from "./router";

interceptLinks();
render(html`<${App} />`, document.getElementById("app")!);
