// Submit a switcher as soon as its choice changes (its button stays for keyboard and no-JS use).
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) form.requestSubmit();
});

// Print every <details> open (notes, earlier stances are part of the record), then put
// back what the reader had closed.
window.addEventListener("beforeprint", () => {
  for (const details of document.querySelectorAll("details:not([open])")) {
    details.dataset.openedForPrint = "";
    details.open = true;
  }
});
window.addEventListener("afterprint", () => {
  for (const details of document.querySelectorAll("details[data-opened-for-print]")) {
    details.open = false;
    delete details.dataset.openedForPrint;
  }
});

// A narrow screen shows the map at a legible scale in a box that scrolls sideways: open it
// centred on the labelled territories rather than on its empty western edge.
function centreMaps() {
  for (const wrap of document.querySelectorAll(".map-wrap")) {
    if (wrap.scrollWidth <= wrap.clientWidth) continue;
    const boxes = [...wrap.querySelectorAll("text.map-label, text.map-code")].map((text) => text.getBoundingClientRect());
    if (!boxes.length) continue;
    const left = Math.min(...boxes.map((box) => box.left));
    const right = Math.max(...boxes.map((box) => box.right));
    const offset = wrap.getBoundingClientRect().left - wrap.scrollLeft;
    wrap.scrollLeft = (left + right) / 2 - offset - wrap.clientWidth / 2;
  }
}
if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", centreMaps);
else centreMaps();
