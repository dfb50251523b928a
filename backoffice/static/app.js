// logintokens backoffice: behaviour shared by every page. No inline
// scripts (the CSP forbids them); pages opt in with data attributes.
"use strict";

window.LT = (function () {
  const csrf = () => document.body.dataset.csrf || "";

  // fetch with the session's CSRF token; JSON in and out.
  async function api(method, url, body) {
    const opts = { method, headers: { "X-CSRF-Token": csrf(), "Accept": "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      opts.headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    const resp = await fetch(url, opts);
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) throw new Error(data.error || resp.statusText);
    return data;
  }

  // Times are sent as UTC; show them in the browser's time zone.
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach((el) => {
      const d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      el.textContent = d.toLocaleString(undefined, { year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit" });
      el.title = d.toISOString();
    });
  }

  async function copy(text, button) {
    try {
      await navigator.clipboard.writeText(text);
    } catch (e) {
      const ta = document.createElement("textarea");
      ta.value = text;
      document.body.appendChild(ta);
      ta.select();
      document.execCommand("copy");
      ta.remove();
    }
    if (button) {
      const old = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = old; }, 1500);
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    localTimes(document);
    // Buttons that copy the text of another element.
    document.addEventListener("click", (ev) => {
      const b = ev.target.closest("[data-copy-from]");
      if (!b) return;
      const src = document.getElementById(b.dataset.copyFrom);
      if (src) copy(src.value !== undefined && src.tagName === "INPUT" ? src.value : src.textContent.trim(), b);
    });
    // A form that submits itself on arrival: "Open webshop as ..." goes on
    // to the shop with no extra click. Its button stays for browsers
    // without JavaScript.
    const auto = document.querySelector("form[data-autosubmit]");
    if (auto) auto.submit();
    // Forms that ask before they submit.
    document.addEventListener("submit", (ev) => {
      const f = ev.target;
      if (f.dataset.confirm && !window.confirm(f.dataset.confirm)) ev.preventDefault();
    });
  });

  return { api, copy, localTimes, csrf };
})();
