// @ts-check
/**
 * The import's progress page follows the import by itself: every second it asks the server how
 * far the import got, sets the progress bar and its status line (`role="status"`, read out by
 * screen readers), and when the import is over loads the page again, which then shows the result.
 *
 * Without JavaScript the page shows the progress when it was loaded and a link to look again.
 * The texts come from the server, already in the page's language.
 */

const INTERVAL_MS = 1000;

/**
 * @typedef {{ state: string, done?: number, total?: number, text?: string }} Progress
 */

/**
 * Show `progress` in the bar and the status line; returns whether the import is still running.
 *
 * @param {Progress} progress
 * @param {HTMLProgressElement} bar
 * @param {HTMLElement} status
 * @returns {boolean}
 */
export function show(progress, bar, status) {
  if (progress.state !== "running") return false;
  if (progress.total) {
    bar.max = progress.total;
    bar.value = progress.done ?? 0;
  }
  if (progress.text && status.textContent !== progress.text) status.textContent = progress.text;
  return true;
}

function start() {
  const box = document.querySelector("[data-progress-url]");
  const bar = document.getElementById("import-bar");
  const status = document.getElementById("import-status");
  if (!(box instanceof HTMLElement) || !(bar instanceof HTMLProgressElement) || status === null) return;
  const url = box.dataset["progressUrl"] ?? "";
  const poll = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (response.ok && !show(await response.json(), bar, status)) {
        window.location.reload();
        return;
      }
    } catch {
      // the server is away for a moment: ask again
    }
    window.setTimeout(poll, INTERVAL_MS);
  };
  window.setTimeout(poll, INTERVAL_MS);
}

if (typeof document !== "undefined") start(); // not under the unit tests (node)
