// logintokens backoffice: the directory (contacts, customers, companies)
// and settings (API keys, staff) screens. Every screen works without it;
// it adds clicks on whole rows, the contact form's company search and the
// grant checkboxes' levels. No inline scripts: the CSP forbids them.
"use strict";

(function () {
  // A click anywhere on a row opens it, as the link in its first cell
  // does for the keyboard. Clicks on controls, and selecting text, don't.
  document.addEventListener("click", (ev) => {
    const row = ev.target.closest("tr[data-href]");
    if (!row || ev.target.closest("a, button, input, select, textarea, label, form")) return;
    if (String(window.getSelection ? window.getSelection() : "").length > 0) return;
    if (ev.ctrlKey || ev.metaKey) window.open(row.dataset.href, "_blank", "noopener");
    else window.location.assign(row.dataset.href);
  });

  // A grant level includes the lower ones: ticking one ticks those,
  // clearing one clears the higher ones.
  document.addEventListener("change", (ev) => {
    const box = ev.target;
    if (!box.matches || !box.matches("input[data-grant-area]")) return;
    const level = Number(box.dataset.grantLevel);
    box.form.querySelectorAll('input[data-grant-area="' + box.dataset.grantArea + '"]').forEach((other) => {
      const l = Number(other.dataset.grantLevel);
      if (box.checked && l < level) other.checked = true;
      if (!box.checked && l > level) other.checked = false;
    });
  });

  // A webshop key takes no grants: its grant boxes are disabled (and so
  // not sent) while Webshop is chosen.
  function syncKeyKind() {
    const webshop = document.getElementById("api-key-kind-webshop");
    const grants = document.getElementById("api-key-grants");
    if (webshop && grants) grants.disabled = webshop.checked;
  }
  document.addEventListener("change", (ev) => {
    if (ev.target.name === "kind") syncKeyKind();
  });

  // The company search beside the contact form's company select: it asks
  // the companies list (as JSON) and offers what it finds in the select,
  // keeping the current choice.
  function companyFinder(box) {
    const select = document.getElementById(box.dataset.companyFinder);
    const input = box.querySelector("input[type=search]");
    const status = box.querySelector("[aria-live]");
    if (!select || !input || select.disabled) return;
    box.hidden = false;
    let timer = 0;
    let seq = 0;
    async function search() {
      const mine = ++seq;
      let data;
      try {
        data = await LT.api("GET", "/admin/companies?pageSize=50&q=" + encodeURIComponent(input.value.trim()));
      } catch (e) {
        status.textContent = "The search failed: " + e.message;
        return;
      }
      if (mine !== seq) return; // a later search is under way
      const chosen = select.value;
      const current = select.selectedIndex > 0 ? select.options[select.selectedIndex] : null;
      const options = [new Option("Choose a company", "")];
      const items = data.items || [];
      if (current && !items.some((c) => String(c.id) === chosen)) options.push(new Option(current.text, current.value));
      items.forEach((c) => options.push(new Option(c.name, String(c.id))));
      select.replaceChildren(...options);
      select.value = chosen;
      if (!chosen && items.length === 1) select.value = String(items[0].id);
      const n = data.itemsFound || 0;
      status.textContent = (n === 1 ? "1 company found" : n + " companies found") +
        (n > items.length ? ", the first " + items.length + " are in the list" : "") +
        (!chosen && items.length === 1 ? " and chosen" : "") + ".";
    }
    input.addEventListener("input", () => {
      clearTimeout(timer);
      timer = setTimeout(search, 250);
    });
    // Enter picks from the list instead of sending the form.
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        clearTimeout(timer);
        search().then(() => select.focus());
      }
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    syncKeyKind();
    document.querySelectorAll("[data-company-finder]").forEach(companyFinder);
  });
})();
