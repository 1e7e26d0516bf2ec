// Downloads of the view: Python renders the file (an exact PNG as save_png, or an SVG) and sends
// its bytes through the request channel; the browser saves them under the name Python gives.

/** Rendering a big view can take a while: wait this long (ms) for the file. */
const EXPORT_TIMEOUT_MS = 120_000;

/**
 * @param {import("./channel.js").Channel} channel
 * @param {"png" | "svg"} format
 * @param {number} width  CSS pixels of the view (the file's width, before the PNG's scale)
 * @param {AbortSignal} signal  aborts when the view goes away
 * @returns {Promise<void>} rejects with Python's error
 */
export async function downloadView(channel, format, width, signal) {
  const [answer, buffers] = await channel.request(
    "export",
    { format, width: Math.round(width) },
    { signal, timeout: EXPORT_TIMEOUT_MS },
  );
  if (answer?.error || !buffers[0]) throw new Error(answer?.error ?? "Python sent no file");
  const bytes = buffers[0];
  const file = /** @type {ArrayBuffer} */ (bytes.buffer).slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  const blob = new Blob([file], { type: answer.mime });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = answer.name;
  link.style.display = "none";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000); // the browser has the file by then
}
