/**
 * The Network view's stylesheet, one for the live panel (added to the document when it first
 * opens) and the static page (Expressive Code's base styles, beside the recordings'). Colours are
 * Starlight's theme variables, so the diagram follows the site's light and dark themes
 * (data-theme) with no script. What changed since the step before is green (added) or orange
 * (changed), and also drawn thicker / dashed, so it does not rest on colour alone.
 */
export const TOPOLOGY_STYLES = `
.topo-view { color: var(--sl-color-white); font-size: 0.8125rem; }
.topo-scroll { overflow: auto; max-width: 100%; }
.topo-svg { display: block; max-width: 100%; height: auto; font-family: var(--__sl-font-mono, ui-monospace, monospace); }
.topo-svg text { fill: var(--sl-color-white); }
.topo-svg .topo-title { font-weight: 700; }
.topo-node rect { fill: var(--sl-color-bg); stroke: var(--sl-color-gray-4); stroke-width: 1.2; }
.topo-host rect { fill: var(--sl-color-gray-6); stroke-dasharray: 4 3; }
.topo-bridge rect { fill: var(--sl-color-accent-low); stroke: var(--sl-color-accent); }
.topo-hostlink { fill: none; stroke: var(--sl-color-gray-4); stroke-width: 1; stroke-dasharray: 3 3; }
.topo-cable path { fill: none; stroke: var(--sl-color-gray-3); stroke-width: 1.6; }
.topo-cable-label-bg { fill: var(--sl-color-gray-6); }
.topo-cable text { font-size: 11px; }
.topo-node.is-added rect, .topo-cable.is-added path { stroke: var(--sl-color-green); stroke-width: 3; }
.topo-node.is-changed rect, .topo-cable.is-changed path { stroke: var(--sl-color-orange); stroke-width: 3; stroke-dasharray: 6 3; }
.topo-node[tabindex] { cursor: pointer; outline: none; }
.topo-node[tabindex]:focus-visible rect, .topo-node[aria-pressed="true"] rect { stroke: var(--sl-color-text-accent); stroke-width: 3; }
.topo-legend, .topo-removed, .topo-trimmed { margin: 0.25rem 0; font-size: 0.75rem; }
.topo-key { display: inline-block; width: 1.5em; height: 0; margin: 0 0.3em 0.2em 0.6em; vertical-align: middle; border-top: 3px solid var(--sl-color-green); }
.topo-key.is-changed { border-top: 3px dashed var(--sl-color-orange); }
.topo-table { width: 100%; margin-top: 0.5rem; border-collapse: collapse; font-size: 0.75rem; }
.topo-table caption { text-align: start; font-weight: 600; padding-block: 0.25rem; }
.topo-table th, .topo-table td { padding: 0.15rem 0.5rem; border-bottom: 1px solid var(--sl-color-gray-5); text-align: start; font-family: var(--__sl-font-mono, ui-monospace, monospace); }
.topo-table tr.is-added td { background: var(--sl-color-green-low); }
.topo-table tr.is-changed td { background: var(--sl-color-orange-low); }
.topo-details h3 { margin: 0.25rem 0; font-size: 0.875rem; }
.topo-details dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.75rem; margin: 0; }
.topo-details dt { font-weight: 600; font-family: var(--__sl-font-mono, ui-monospace, monospace); }
.topo-details dd { margin: 0; font-family: var(--__sl-font-mono, ui-monospace, monospace); word-break: break-all; }
.lab-topology { margin-top: 0.25rem; border: 1px solid var(--sl-color-gray-5); border-radius: 0.25rem; padding: 0.25rem 0.75rem; background: var(--sl-color-bg-nav, var(--sl-color-bg)); }
.lab-topology > summary { cursor: pointer; font-size: 0.8125rem; font-weight: 600; color: var(--sl-color-white); }
.lab-topology[open] > summary { margin-bottom: 0.4rem; }
`;
