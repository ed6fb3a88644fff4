import htm from "htm";
import { h, type VNode } from "preact";

/**
 * Tagged templates for Preact (no JSX transform to configure). Templates here always have one root
 * element, so the result is typed as one node.
 */
export const html = htm.bind(h) as (strings: TemplateStringsArray, ...values: unknown[]) => VNode;
