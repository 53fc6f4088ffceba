// Submit a switcher as soon as its choice changes (its button stays for keyboard and no-JS use).
document.addEventListener("change", (event) => {
  const form = event.target.closest("form[data-autosubmit]");
  if (form) form.requestSubmit();
});
