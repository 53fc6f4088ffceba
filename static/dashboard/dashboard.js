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
