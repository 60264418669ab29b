/* Accessibility checks the browser tests run in the page (prepended to "return check();"). */

/** Form controls that nothing names for a screen reader: no label, aria-label or button text. */
function unnamedControls() {
  return [...document.querySelectorAll("input, select, button, textarea")]
    .filter((e) => !(e.labels && e.labels.length) && !e.getAttribute("aria-label"))
    .filter((e) => !(e.tagName === "BUTTON" && e.textContent.trim()))
    .map((e) => e.outerHTML.slice(0, 80));
}

/** Visible texts under WCAG AA contrast (4.5:1) against the first opaque background behind them. */
function lowContrast() {
  const rgb = (color) => color.match(/[\d.]+/g).map(Number);
  const luminance = (color) => {
    const [r, g, b] = color.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const background = (e) => {
    for (; e; e = e.parentElement) {
      const color = rgb(getComputedStyle(e).backgroundColor);
      if (color.length < 4 || color[3] > 0) return color;
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const e of document.querySelectorAll("body *")) {
    if (![...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    if (!e.getClientRects().length) continue;
    const a = luminance(rgb(getComputedStyle(e).color));
    const b = luminance(background(e));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push(`${e.tagName}.${e.className}: ${ratio.toFixed(2)}`);
  }
  return low;
}
