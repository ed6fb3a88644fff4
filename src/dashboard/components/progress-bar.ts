import { html } from "../html";

interface ProgressBarProps {
  percent: number | null | undefined;
  /** The accessible name, e.g. "Progress of job job_123". */
  label: string;
  /** Stage and message, read after the value. */
  detail?: string | null;
  compact?: boolean;
}

export function ProgressBar({ percent, label, detail, compact = false }: ProgressBarProps) {
  const value = Math.max(0, Math.min(100, Math.round(percent ?? 0)));
  return html`
    <div class=${`progress${compact ? " progress-compact" : ""}`}>
      <div
        class="progress-track"
        role="progressbar"
        aria-label=${label}
        aria-valuemin="0"
        aria-valuemax="100"
        aria-valuenow=${value}
        aria-valuetext=${detail ? `${value}%, ${detail}` : `${value}%`}
      >
        <div class="progress-fill" style=${{ width: `${value}%` }}></div>
      </div>
      <span class="progress-value" aria-hidden="true">${value}%</span>
    </div>
  `;
}
