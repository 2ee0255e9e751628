// @ts-check
/**
 * The event page's export links, with progress: a link marked `data-export` is fetched here
 * instead of followed, the page says "preparing" while the server writes the file and then how
 * much has arrived (a `<progress>` bar and the status line, `role="status"`, so screen readers
 * hear it), and the file is saved under the name the server gave it.
 *
 * Without JavaScript (or when fetching fails before anything arrived) the links are plain
 * downloads: the server sends the file with its length and the browser shows its own progress.
 * The texts come from the status line's data attributes, so no UI string lives here.
 */

/**
 * The file name in a Content-Disposition header (its UTF-8 `filename*` first).
 *
 * @param {string | null} header
 * @returns {string}
 */
export function dispositionName(header) {
  if (!header) return "";
  const extended = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (extended?.[1]) {
    try {
      return decodeURIComponent(extended[1]);
    } catch {
      // a malformed name: the plain one below
    }
  }
  const plain = /filename="([^"]*)"/i.exec(header);
  return plain?.[1] ?? "";
}

/**
 * Fetch `url`, reporting the share received (0–1, or null while the length is unknown).
 *
 * @param {string} url
 * @param {(share: number | null) => void} onProgress
 * @returns {Promise<{ blob: Blob, name: string }>}
 */
export async function fetchWithProgress(url, onProgress) {
  const response = await fetch(url, { credentials: "same-origin" });
  if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`);
  const total = Number(response.headers.get("Content-Length") ?? "0");
  const reader = response.body.getReader();
  /** @type {BlobPart[]} */
  const parts = [];
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    received += value.byteLength;
    onProgress(total > 0 ? Math.min(1, received / total) : null);
  }
  const type = response.headers.get("Content-Type") ?? "application/octet-stream";
  return { blob: new Blob(parts, { type }), name: dispositionName(response.headers.get("Content-Disposition")) };
}

/**
 * @param {HTMLAnchorElement} link
 * @param {HTMLElement} status
 * @param {HTMLProgressElement} bar
 */
async function download(link, status, bar) {
  const box = bar.parentElement;
  if (box) box.hidden = false;
  bar.removeAttribute("value"); // indeterminate while the server writes the file
  status.textContent = status.dataset["preparing"] ?? "";
  let receiving = false;
  try {
    const { blob, name } = await fetchWithProgress(link.href, (share) => {
      if (share === null) return;
      bar.max = 1;
      bar.value = share;
      if (!receiving) {
        receiving = true; // said once: the bar shows how far it is, a screen reader reads its value
        status.textContent = status.dataset["receiving"] ?? "";
      }
    });
    const url = URL.createObjectURL(blob);
    const save = document.createElement("a");
    save.href = url;
    save.download = name || link.pathname.split("/").pop() || "export";
    document.body.append(save);
    save.click();
    save.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
    status.textContent = (status.dataset["done"] ?? "").replace("{name}", save.download);
  } catch {
    status.textContent = status.dataset["failed"] ?? "";
  } finally {
    if (box) box.hidden = true;
  }
}

function init() {
  const status = document.getElementById("export-status");
  const bar = document.getElementById("export-progress");
  if (status === null || !(bar instanceof HTMLProgressElement)) return;
  for (const link of document.querySelectorAll("a[data-export]")) {
    if (!(link instanceof HTMLAnchorElement)) continue;
    link.addEventListener("click", (event) => {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return; // the browser's own ways
      event.preventDefault();
      void download(link, status, bar);
    });
  }
}

if (typeof document !== "undefined") init();
