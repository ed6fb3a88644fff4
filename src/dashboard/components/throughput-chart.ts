// Throughput history with uPlot (bundled; no CDN). The canvas is drawn with the page's colours, read
// from its CSS custom properties, and redrawn when the colour scheme changes. The same numbers are
// offered as a table for those who do not see the chart.
import { useEffect, useRef, useState } from "preact/hooks";
import uPlot from "uplot";
import { formatDateTime, formatNumber } from "../format";
import { html } from "../html";
import type { History } from "../types";
import { TableRegion } from "./common";

const HEIGHT = 240;

function colours(element: Element) {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    completed: read("--chart-completed", "#1a7f37"),
    failed: read("--chart-failed", "#cf222e"),
    axis: read("--muted", "#57606a"),
    grid: read("--border", "#d0d7de"),
  };
}

function options(width: number, c: ReturnType<typeof colours>): uPlot.Options {
  const axis = { stroke: c.axis, grid: { stroke: c.grid, width: 1 }, ticks: { stroke: c.grid, width: 1 } };
  return {
    width,
    height: HEIGHT,
    legend: { show: false },
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true } },
    axes: [axis, { ...axis, size: 50 }],
    series: [
      {},
      { label: "Completed", stroke: c.completed, width: 2, points: { show: false } },
      { label: "Failed", stroke: c.failed, width: 2, points: { show: false } },
    ],
  };
}

/** Re-renders when the colour scheme changes, so the canvas is redrawn in the new colours. */
function useColourScheme(): boolean {
  const query = matchMedia("(prefers-color-scheme: dark)");
  const [dark, setDark] = useState(query.matches);
  useEffect(() => {
    const onChange = () => setDark(query.matches);
    query.addEventListener("change", onChange);
    return () => query.removeEventListener("change", onChange);
  }, []);
  return dark;
}

function DataTable({ history }: { history: History }) {
  return html`
    <details class="chart-data">
      <summary>Show the data as a table</summary>
      <${TableRegion} label="Throughput history data">
        <table>
          <thead><tr><th scope="col">From</th><th scope="col" class="numeric">Completed</th><th scope="col" class="numeric">Failed</th></tr></thead>
          <tbody>
            ${history.points.map((p) => html`<tr key=${p.at}><td>${formatDateTime(p.at, true)}</td><td class="numeric">${formatNumber(p.completed)}</td><td class="numeric">${formatNumber(p.failed)}</td></tr>`)}
          </tbody>
        </table>
      </${TableRegion}>
    </details>
  `;
}

export function ThroughputChart({ history, label }: { history: History; label: string }) {
  const container = useRef<HTMLDivElement>(null);
  const dark = useColourScheme();
  useEffect(() => {
    const element = container.current;
    if (!element) return;
    const points = history.points;
    const data: uPlot.AlignedData = [
      points.map((p) => Date.parse(p.at) / 1_000),
      points.map((p) => p.completed),
      points.map((p) => p.failed),
    ];
    const chart = new uPlot(options(Math.max(element.clientWidth, 280), colours(element)), data, element);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(element.clientWidth, 280), height: HEIGHT }));
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [history, dark]);
  const completed = history.points.reduce((n, p) => n + p.completed, 0);
  const failed = history.points.reduce((n, p) => n + p.failed, 0);
  const summary = `${label}: ${formatNumber(completed)} completed and ${formatNumber(failed)} failed, in ${history.points.length} buckets of ${history.bucketSeconds} seconds.`;
  return html`
    <figure class="chart-figure">
      <div ref=${container} class="chart" role="img" aria-label=${summary}></div>
      <figcaption>
        <span class="legend legend-completed">Completed</span>
        <span class="legend legend-failed">Failed</span>
        <span class="muted">per ${history.bucketSeconds >= 3_600 ? `${history.bucketSeconds / 3_600} h` : `${Math.round(history.bucketSeconds / 60)} min`}</span>
      </figcaption>
      <${DataTable} history=${history} />
    </figure>
  `;
}
