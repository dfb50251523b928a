// logintokens backoffice: the Users > Login Tokens screen. Everything here
// also works without JavaScript (forms post, links open pages); this file
// turns those into dialogs, a user picker that searches as one types, local
// times, and filters that build the list's URL in the browser. Token values
// never go into a URL: a value pasted into Ids or the search is cut down to
// its id here, and again on the server.
"use strict";

(function () {
  const $ = (sel, root) => (root || document).querySelector(sel);
  const $$ = (sel, root) => Array.from((root || document).querySelectorAll(sel));
  const LIST = "/admin/login-tokens";
  const zone = (() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return ""; } })();
  document.documentElement.classList.add("js");

  // ---- ids, never values ----------------------------------------------------

  // SECRET matches a token value or API key anywhere in a text, its
  // separators perhaps percent-encoded: the server's rule
  // (lt.RedactSecrets), group 1 the prefix, group 2 the id.
  const SECRET = /(ltk?)(?:_|%(?:25)*5[Ff])([a-z0-9]{12,26})(?:_|%(?:25)*5[Ff])[A-Za-z0-9_~%-]+/g;

  // valueIds returns the ids of the token values in a text, and whether it
  // holds any value or API key at all.
  function valueIds(text) {
    const ids = [];
    let holds = false;
    for (const m of String(text).matchAll(SECRET)) {
      holds = true;
      if (m[1] === "lt" && !ids.includes(m[2])) ids.push(m[2]);
    }
    return { ids, holds };
  }

  // reduceIds splits what was typed into Ids and cuts token values
  // (lt_<id>_<secret>) down to their ids; entries that look like a value but
  // hold no id, or hold an API key, are counted, never kept.
  function reduceIds(text) {
    const ids = [];
    let bad = 0;
    for (const s of text.split(/[\s,;]+/)) {
      if (!s) continue;
      const found = valueIds(s);
      if ((found.holds && !found.ids.length) || (!found.holds && s.startsWith("lt_"))) { bad++; continue; }
      for (const id of found.holds ? found.ids : [s]) if (!ids.includes(id)) ids.push(id);
    }
    return { ids, bad };
  }

  // ---- times ----------------------------------------------------------------

  const pad = (n) => String(n).padStart(2, "0");
  const localDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  function localDateTime(d) {
    let s = `${localDay(d)}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
    if (d.getSeconds()) s += `:${pad(d.getSeconds())}`;
    return s;
  }
  const utc = (d) => d.toISOString().replace(".000Z", "Z");

  // dayEdge is the UTC time of the start or end of a local day (YYYY-MM-DD).
  function dayEdge(day, edge) {
    const [y, m, d] = day.split("-").map(Number);
    return utc(edge === "end" ? new Date(y, m - 1, d, 23, 59, 59, 999) : new Date(y, m - 1, d));
  }

  function initTimes(root) {
    // A datetime-local field shows local time; its hidden twin holds UTC.
    $$("input[data-utc-field]", root).forEach((input) => {
      const form = input.form;
      const hidden = form.elements[input.dataset.utcField];
      if (form.elements.clientTime) form.elements.clientTime.value = "1";
      if (hidden.value) {
        const d = new Date(hidden.value);
        if (!isNaN(d)) input.value = localDateTime(d);
      }
      input.addEventListener("input", () => {
        const d = input.value ? new Date(input.value) : null;
        hidden.value = d && !isNaN(d) ? utc(d) : "";
      });
      const hint = document.getElementById(input.id + "-hint");
      if (hint && hint.hasAttribute("data-tz-hint")) {
        hint.textContent = `In your time zone${zone ? " (" + zone + ")" : ""}. Leave empty for a token that never expires.`;
      }
    });
    // Date filters show the viewer's local day of the UTC time in the URL.
    $$("input[data-day-edge]", root).forEach((input) => {
      const raw = input.dataset.raw || "";
      if (raw.includes("T")) {
        const d = new Date(raw);
        if (!isNaN(d)) input.value = localDay(d);
      }
    });
    // Filter chips show days, not instants.
    $$("time[data-day]", root).forEach((el) => {
      const raw = el.getAttribute("datetime");
      if (/^\d{4}-\d{2}-\d{2}$/.test(raw)) {
        const [y, m, d] = raw.split("-").map(Number);
        el.textContent = new Date(y, m - 1, d).toLocaleDateString(undefined, { year: "numeric", month: "short", day: "2-digit" });
        return;
      }
      const d = new Date(raw);
      if (!isNaN(d)) el.textContent = d.toLocaleDateString(undefined, { year: "numeric", month: "short", day: "2-digit" });
    });
  }

  // ---- the user picker --------------------------------------------------------

  const typeLabel = (t) => (t === "contact" ? "Contact" : t === "customer" ? "Customer" : "Anonymous");

  function initPickers(root) {
    $$("[data-picker]", root).forEach((box) => {
      if (box.dataset.ready) return;
      box.dataset.ready = "1";
      const input = $("input[role=combobox]", box);
      const list = $("[role=listbox]", box);
      const chosen = $(".picker-chips", box);
      const multiple = box.hasAttribute("data-multiple");
      const name = box.dataset.name;
      let hits = [];
      let active = -1;
      let timer = null;
      let seq = 0;
      let swallowEnter = false;

      function close() {
        list.hidden = true;
        input.setAttribute("aria-expanded", "false");
        input.removeAttribute("aria-activedescendant");
        active = -1;
      }
      function render() {
        list.textContent = "";
        if (!hits.length) {
          const li = document.createElement("li");
          li.className = "picker-empty";
          li.textContent = "No contact or customer matches.";
          list.append(li);
        }
        hits.forEach((u, i) => {
          const li = document.createElement("li");
          li.id = `${input.id}-opt-${i}`;
          li.setAttribute("role", "option");
          li.setAttribute("aria-selected", i === active ? "true" : "false");
          li.dataset.index = String(i);
          const n = document.createElement("span");
          n.className = "opt-name";
          n.textContent = u.name || u.email;
          const d = document.createElement("span");
          d.className = "opt-detail";
          d.textContent = [typeLabel(u.type), u.email, u.company && u.company.name].filter(Boolean).join(" · ");
          li.append(n, d);
          list.append(li);
        });
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
        if (active >= 0) {
          input.setAttribute("aria-activedescendant", `${input.id}-opt-${active}`);
          const el = document.getElementById(`${input.id}-opt-${active}`);
          if (el) el.scrollIntoView({ block: "nearest" });
        } else {
          input.removeAttribute("aria-activedescendant");
        }
      }
      async function search() {
        const mine = ++seq;
        try {
          const resp = await fetch(`/admin/users/search?limit=10&q=${encodeURIComponent(input.value.trim())}`,
            { headers: { Accept: "application/json" }, credentials: "same-origin" });
          const data = await resp.json().catch(() => []);
          if (mine !== seq || document.activeElement !== input) return;
          hits = resp.ok && Array.isArray(data) ? data : [];
          active = hits.length ? 0 : -1;
          render();
        } catch (e) {
          close();
        }
      }
      function chip(u) {
        const key = `${u.type}:${u.id}`;
        const li = document.createElement("li");
        li.className = "chip";
        const hidden = document.createElement("input");
        hidden.type = "hidden";
        hidden.name = name;
        hidden.value = key;
        const n = document.createElement("span");
        n.className = "chip-name";
        n.textContent = u.name || u.email;
        const d = document.createElement("span");
        d.className = "chip-detail";
        d.textContent = [typeLabel(u.type), u.email, u.company && u.company.name].filter(Boolean).join(" · ");
        const x = document.createElement("button");
        x.type = "button";
        x.className = "chip-remove";
        x.dataset.remove = "";
        x.setAttribute("aria-label", `Remove ${u.name || u.email}`);
        x.textContent = "×";
        li.append(hidden, n, " ", d, x);
        return li;
      }
      function choose(u) {
        if (!u) return;
        const key = `${u.type}:${u.id}`;
        if (!multiple) chosen.textContent = "";
        if (!$$("input[type=hidden]", chosen).some((h) => h.value === key)) chosen.append(chip(u));
        input.value = "";
        input.removeAttribute("aria-invalid");
        close();
        input.focus();
      }
      box.pickerChoose = choose;
      box.pickerSearch = async (text) => {
        const resp = await fetch(`/admin/users/search?limit=2&q=${encodeURIComponent(text)}`, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        return resp.ok ? resp.json() : [];
      };

      chosen.addEventListener("click", (ev) => {
        const b = ev.target.closest("[data-remove]");
        if (!b) return;
        b.closest("li").remove();
        input.focus();
      });
      input.addEventListener("input", () => {
        clearTimeout(timer);
        timer = setTimeout(search, 150);
      });
      input.addEventListener("keydown", (ev) => {
        switch (ev.key) {
          case "ArrowDown":
            ev.preventDefault();
            if (list.hidden) { search(); return; }
            active = Math.min(active + 1, hits.length - 1);
            render();
            break;
          case "ArrowUp":
            ev.preventDefault();
            if (list.hidden) return;
            active = Math.max(active - 1, 0);
            render();
            break;
          case "Enter":
            if (!list.hidden && active >= 0) {
              ev.preventDefault();
              swallowEnter = true;
              choose(hits[active]);
            }
            break;
          case "Escape":
            if (!list.hidden) {
              // Close the list, not the dialog around it.
              ev.preventDefault();
              ev.stopPropagation();
              box.dataset.escaped = "";
              setTimeout(() => { delete box.dataset.escaped; }, 0);
              close();
            }
            break;
          case "Backspace":
            if (!input.value && !multiple && chosen.lastElementChild) chosen.lastElementChild.remove();
            break;
        }
      });
      // The Enter that chose must not also submit the form (some input
      // drivers send its keypress even when its keydown was prevented).
      input.addEventListener("keypress", (ev) => {
        if (ev.key === "Enter" && swallowEnter) ev.preventDefault();
        swallowEnter = false;
      });
      input.addEventListener("keyup", () => { swallowEnter = false; });
      list.addEventListener("mousedown", (ev) => ev.preventDefault()); // keep the focus in the field
      list.addEventListener("click", (ev) => {
        const li = ev.target.closest("[role=option]");
        if (li) choose(hits[Number(li.dataset.index)]);
      });
      input.addEventListener("blur", () => setTimeout(close, 150));
    });
  }

  // A picker with text typed but nothing chosen takes the one match, as the
  // server does without JavaScript; else it says what to do.
  async function settlePickers(form) {
    for (const box of $$("[data-picker]", form)) {
      const input = $("input[role=combobox]", box);
      const text = input.value.trim();
      if (!text || !box.pickerSearch) continue;
      const hits = await box.pickerSearch(text).catch(() => []);
      if (hits.length === 1) {
        box.pickerChoose(hits[0]);
        continue;
      }
      input.setAttribute("aria-invalid", "true");
      input.focus();
      showError(form, hits.length ? `Several contacts and customers match “${text}”: choose one from the list.`
        : `No contact or customer matches “${text}”.`);
      return false;
    }
    return true;
  }

  function showError(scope, msg) {
    const host = scope.closest("dialog") || scope;
    let el = $("[data-js-error]", host);
    if (!el) {
      el = document.createElement("p");
      el.className = "alert";
      el.setAttribute("role", "alert");
      el.dataset.jsError = "";
      const body = $(".dialog-body", host) || host;
      body.prepend(el);
    }
    el.textContent = msg;
  }

  // ---- the list ---------------------------------------------------------------

  // filterSpec is the spec of the list's filters (lt.TokenFilterSpec),
  // which the server renders into the filter panel: each filter's
  // parameter name and kind.
  const filterSpec = (form) => JSON.parse(form.dataset.filterSpec);

  // filterURL builds the list's URL from the filter panel by the spec, as
  // the server's panelQuery does when the panel posts; null when something
  // must be corrected first, "" when the form must post (the server then
  // explains what it left out).
  function filterURL(form) {
    const p = new URLSearchParams();
    const picked = $$("[data-picker] input[type=hidden][name=user]", form).map((h) => h.value.split(":"));
    const setList = (name, vals) => { if (vals.length) p.set(name, vals.join(",")); };
    let ids = { name: "", list: [] };
    for (const f of filterSpec(form)) {
      const el = form.elements[f.name];
      switch (f.kind) {
        case "tokenIds":
          ids = { name: f.name, list: panelIds(form, el) };
          if (!ids.list) return null;
          setList(f.name, ids.list);
          break;
        case "userIds":
          setList(f.name, picked.filter(([t]) => t === f.user).map(([, id]) => id));
          break;
        case "choice":
          setList(f.name, $$(`input[name=${f.name}]:checked`, form).map((c) => c.value));
          break;
        case "timeRange":
          for (const input of [form.elements[f.name + "From"], form.elements[f.name + "To"]]) {
            if (input.value) p.set(input.name, dayEdge(input.value, input.dataset.dayEdge));
          }
          break;
        case "count": {
          const n = form.elements[f.name + "N"].value.trim();
          if (n !== "") p.set(f.name, `${form.elements[f.name + "Op"].value}:${n}`);
          break;
        }
        case "bool": {
          const c = $(`input[name=${f.name}]:checked`, form);
          if (c && c.value) p.set(f.name, c.value);
          break;
        }
        case "text": {
          const q = el.value.trim();
          const inQ = valueIds(q);
          if (inQ.holds) {
            // A search for a value is a search for its token: the Ids filter.
            if (!inQ.ids.length) return ""; // an API key: the form posts, the server says why it is left out
            el.value = "";
            setList(ids.name, ids.list.concat(inQ.ids.filter((id) => !ids.list.includes(id))));
          } else if (q) p.set(f.name, q);
          break;
        }
        case "shop":
          if (el && el.value) p.set(f.name, el.value);
          break;
        case "sort":
          if (el.value) p.set(f.name, el.value);
          break;
        case "pageSize":
          if (el.value && el.value !== f.default) p.set(f.name, el.value);
          break;
      }
    }
    p.sort();
    const s = p.toString();
    return s ? `${LIST}?${s}` : LIST;
  }

  // panelIds reads the Ids field: token values are cut down to their ids,
  // and the field then shows the ids only; null, with the field marked,
  // when an entry looks like a value but holds no id.
  function panelIds(form, field) {
    const err = $(`#${field.id}-error`, form);
    const { ids, bad } = reduceIds(field.value);
    if (bad) {
      err.textContent = `${bad === 1 ? "One entry looks" : bad + " entries look"} like a token value but hold${bad === 1 ? "s" : ""} no valid token id. Correct or remove ${bad === 1 ? "it" : "them"}.`;
      err.hidden = false;
      field.setAttribute("aria-invalid", "true");
      field.focus();
      return null;
    }
    err.hidden = true;
    field.removeAttribute("aria-invalid");
    field.value = ids.join("\n"); // a pasted value leaves the field too
    return ids;
  }

  // searchURL builds the list's URL from the search box: the list's other
  // parameters (hidden fields) and the search, or, for a pasted token
  // value, the Ids filter of its token instead; null when the search holds
  // nothing to keep (an API key): the form then posts, and the server says
  // why it left the search out.
  function searchURL(form) {
    const p = new URLSearchParams();
    let ids = [];
    for (const [k, v] of new FormData(form)) {
      const val = String(v).trim();
      if (k === "csrf" || k === "page" || val === "") continue;
      if (k === "ids") ids = ids.concat(val.split(","));
      else if (k !== "q") p.append(k, val);
    }
    const q = form.elements.q.value.trim();
    const found = valueIds(q);
    if (found.holds) {
      if (!found.ids.length) return null;
      form.elements.q.value = ""; // the value leaves the field too
      for (const id of found.ids) if (!ids.includes(id)) ids.push(id);
    } else if (q) p.set("q", q);
    if (ids.length) p.set("ids", ids.join(","));
    p.sort();
    const s = p.toString();
    return s ? `${LIST}?${s}` : LIST;
  }

  // cleanGet is a GET form's URL without empty parameters.
  function cleanGet(form) {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (String(v).trim() !== "") p.append(k, String(v).trim());
    p.sort();
    const s = p.toString();
    return s ? `${form.getAttribute("action")}?${s}` : form.getAttribute("action");
  }

  let selectionBound = false;

  // initSelection keeps the delete button and the select-all box in step
  // with the rows' boxes, whichever rows the table holds now.
  function initSelection() {
    const del = $("#delete-selected");
    const send = $("[data-send-selected]");
    const count = $("#selection-count");
    if (!del) return;
    const boxes = () => $$("input[data-row-select]");
    function update() {
      const all = $("#select-all");
      const n = boxes().filter((b) => b.checked).length;
      del.disabled = n === 0;
      if (send) send.disabled = n === 0;
      count.textContent = n ? `${n} selected` : "";
      if (all) {
        all.checked = n > 0 && n === boxes().length;
        all.indeterminate = n > 0 && n < boxes().length;
      }
      boxes().forEach((b) => b.closest("tr").classList.toggle("selected", b.checked));
    }
    if (!selectionBound) {
      selectionBound = true;
      document.addEventListener("change", (ev) => {
        if (ev.target.matches("#select-all")) boxes().forEach((b) => { b.checked = ev.target.checked; });
        if (ev.target.matches("#select-all, input[data-row-select]")) update();
      });
    }
    update();
  }

  // refreshList loads the list page again and puts its rows, total and
  // page count in place of the ones shown, keeping the rows selected that
  // are still there: what a dialog saved shows behind it at once. It
  // reports whether it could.
  async function refreshList() {
    const table = $("#tokens-table");
    if (!table) return true;
    try {
      const resp = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (!resp.ok || resp.redirected) return false;
      const doc = new DOMParser().parseFromString(await resp.text(), "text/html");
      const fresh = doc.querySelector("#tokens-table");
      if (!fresh) return false;
      const selected = new Set($$("input[data-row-select]:checked").map((b) => b.value));
      table.replaceWith(document.importNode(fresh, true));
      for (const id of ["tokens-total", "page-of"]) {
        const el = document.getElementById(id), now = doc.getElementById(id);
        if (el && now) el.textContent = now.textContent;
      }
      $$("input[data-row-select]").forEach((b) => { b.checked = selected.has(b.value); });
      const table2 = $("#tokens-table");
      if (window.LT) window.LT.localTimes(table2);
      initSelection();
      return true;
    } catch (e) {
      return false;
    }
  }

  // ---- dialogs ----------------------------------------------------------------

  let changed = false; // something was saved and the list could not be refreshed: it reloads when the dialogs close

  function focusInto(root) {
    const target = $("[aria-invalid=true]", root) || $("[data-status]", root) || $("[data-autofocus]", root) ||
      $("h2[tabindex]", root);
    if (target) target.focus();
  }

  function initContent(root) {
    if (window.LT) window.LT.localTimes(root);
    initTimes(root);
    initPickers(root);
    // What a dialog saved shows in the list behind it at once; only if
    // that fails does the page reload when the dialogs close.
    if (root !== document && $("[data-changed]", root)) refreshList().then((ok) => { if (!ok) changed = true; });
  }

  // fetchFragment loads a dialog's content. A full page (an error, or the
  // sign-in page after the session ended) shows its main part instead.
  async function fetchFragment(url, init) {
    init = init || {};
    init.headers = Object.assign({ "X-Fragment": "1", Accept: "text/html" }, init.headers || {});
    init.credentials = "same-origin";
    const resp = await fetch(url, init);
    if (resp.redirected && new URL(resp.url).pathname === "/admin/login") {
      location.assign(resp.url);
      return null;
    }
    const text = await resp.text();
    if (!/^\s*<!doctype/i.test(text)) return text;
    const doc = new DOMParser().parseFromString(text, "text/html");
    const main = doc.querySelector("#main") || doc.body;
    const wrap = document.createElement("div");
    const header = document.createElement("header");
    const h = document.createElement("h2");
    h.tabIndex = -1;
    h.textContent = doc.title.replace(/ · logintokens$/, "");
    const x = document.createElement("button");
    x.type = "button";
    x.className = "icon-button dialog-close";
    x.dataset.close = "";
    x.setAttribute("aria-label", "Close");
    x.textContent = "×";
    header.append(h, x);
    const body = document.createElement("div");
    body.className = "dialog-body";
    body.append(...Array.from(main.childNodes).map((n) => document.importNode(n, true)));
    wrap.append(header, body);
    return wrap.innerHTML;
  }

  function setContent(dlg, html) {
    const content = $("[data-dialog-content]", dlg);
    content.innerHTML = html;
    initContent(content);
    focusInto(content);
  }

  function openDialog(dlg) {
    if (!dlg.open) dlg.showModal();
    focusInto(dlg);
  }

  async function openToken(url) {
    const dlg = $("#token-dialog");
    if (!dlg) { location.assign(url); return; }
    const html = await fetchFragment(url).catch(() => null);
    if (html === null) { location.assign(url); return; }
    // Close the others only now, so that a dialog is open when their
    // close events ask whether to reload.
    $$("dialog[open]").forEach((d) => { if (d !== dlg) d.close(); });
    setContent(dlg, html);
    openDialog(dlg);
  }

  async function submitDialogForm(form, submitter) {
    const dlg = form.closest("dialog");
    const body = new URLSearchParams(new FormData(form, submitter));
    const buttons = $$("button[type=submit]", dlg).concat($$(`button[form="${form.id}"]`, dlg));
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const html = await fetchFragment(form.action, { method: "POST", body,
        headers: { "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": window.LT ? window.LT.csrf() : "" } });
      if (html !== null) setContent(dlg, html);
    } catch (e) {
      showError(form, "The server could not be reached. Check the connection and try again.");
    } finally {
      buttons.forEach((b) => { if (b.isConnected) b.disabled = false; });
    }
  }

  function confirmDialog(title, text, okLabel) {
    const dlg = $("#confirm-dialog");
    if (!dlg || typeof dlg.showModal !== "function") return Promise.resolve(window.confirm(`${title}\n\n${text}`));
    $("#confirm-title", dlg).textContent = title;
    $("#confirm-text", dlg).textContent = text;
    $("#confirm-ok", dlg).textContent = okLabel || "OK";
    dlg.returnValue = "";
    dlg.showModal();
    $("#confirm-cancel", dlg).focus();
    return new Promise((resolve) => dlg.addEventListener("close", () => resolve(dlg.returnValue === "ok"), { once: true }));
  }

  // ---- reveal and copy ----------------------------------------------------------

  async function reveal(form, submitter) {
    const kind = form.dataset.reveal;
    const scope = form.closest("dialog") || document;
    try {
      const resp = await fetch(form.action, { method: "POST", body: new URLSearchParams(new FormData(form)), credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": window.LT ? window.LT.csrf() : "" } });
      const data = await resp.json().catch(() => ({}));
      if (!resp.ok) throw new Error(data.error || resp.statusText);
      if (kind === "value") {
        const code = $("#token-value", scope);
        code.textContent = data.value;
        const copy = $("#copy-value", scope);
        if (copy) copy.hidden = false;
        submitter.setAttribute("aria-label", "Hide value");
        submitter.title = "Hide value";
        submitter.dataset.shown = "1";
        if (copy) copy.focus();
      } else {
        await window.LT.copy(kind === "loginUrl" ? data.loginUrl : data.ociUrl, submitter);
      }
    } catch (e) {
      showError(form, `Could not reveal the value: ${e.message}`);
    }
  }

  function hideValue(form, button) {
    const scope = form.closest("dialog") || document;
    const code = $("#token-value", scope);
    code.textContent = code.dataset.masked;
    const copy = $("#copy-value", scope);
    if (copy) copy.hidden = true;
    button.setAttribute("aria-label", "Reveal value");
    button.title = "Reveal value";
    delete button.dataset.shown;
  }

  // ---- events -------------------------------------------------------------------

  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    const submitter = ev.submitter;
    if (form.matches("[data-filter-form]")) {
      ev.preventDefault();
      if (!(await settlePickers(form))) return;
      const url = filterURL(form);
      if (url === "") form.submit();
      else if (url) location.assign(url);
      return;
    }
    if (form.matches("[data-get-clean]")) {
      ev.preventDefault();
      location.assign(cleanGet(form));
      return;
    }
    if (form.matches("[data-search-form]")) {
      const url = searchURL(form);
      if (url) {
        ev.preventDefault();
        location.assign(url);
      }
      return;
    }
    if (form.matches("[data-reveal]")) {
      ev.preventDefault();
      if (submitter && submitter.dataset.shown) hideValue(form, submitter);
      else reveal(form, submitter);
      return;
    }
    const inDialog = form.matches("[data-dialog-form]") && form.closest("dialog");
    // Send login link submits the selection to its own page, which asks.
    if (submitter && submitter.matches("[data-send-selected]")) return;
    const asks = form.dataset.confirmText || form.matches("[data-delete-form]");
    if (asks && form.elements.confirm && form.elements.confirm.value !== "yes") {
      ev.preventDefault();
      let title = form.dataset.confirmTitle, text = form.dataset.confirmText, ok = form.dataset.confirmButton;
      if (form.matches("[data-delete-form]")) {
        const n = $$("input[data-row-select]:checked", form).length;
        if (!n) return;
        title = `Delete ${n} login token${n === 1 ? "" : "s"}?`;
        text = "Deleted tokens stop working at once and cannot be restored; their activity stays in the audit trail.";
        ok = "Delete";
      }
      if (!(await confirmDialog(title, text, ok))) return;
      form.elements.confirm.value = "yes";
      if (inDialog) {
        await submitDialogForm(form, submitter);
        if (form.isConnected) form.elements.confirm.value = "";
      } else {
        form.submit();
      }
      return;
    }
    if (inDialog) {
      ev.preventDefault();
      if (await settlePickers(form)) submitDialogForm(form, submitter);
    }
  });

  document.addEventListener("click", (ev) => {
    if (ev.defaultPrevented || ev.button !== 0 || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.altKey) return;
    const closer = ev.target.closest("[data-close]");
    if (closer) {
      ev.preventDefault();
      if (closer.closest("dialog")) closer.closest("dialog").close();
      else if (closer.dataset.href) location.assign(closer.dataset.href);
      return;
    }
    const opener = ev.target.closest("[data-open-dialog]");
    if (opener) {
      const dlg = document.getElementById(opener.dataset.openDialog);
      if (dlg && typeof dlg.showModal === "function") {
        ev.preventDefault();
        openDialog(dlg);
      }
      return;
    }
    const link = ev.target.closest("[data-token-open]");
    if (link) {
      ev.preventDefault();
      openToken(link.getAttribute("href"));
      return;
    }
    // A click anywhere on a row opens it, except on its checkbox cell.
    const row = ev.target.closest("tr[data-href]");
    if (row && !ev.target.closest("a, button, input, label, select, textarea")) {
      const cell = ev.target.closest("td.col-select");
      if (cell) {
        const box = $("input", cell);
        box.click();
        return;
      }
      openToken(row.dataset.href);
    }
  });

  document.addEventListener("change", (ev) => {
    if (ev.target.matches("select[data-autosubmit]")) ev.target.form.requestSubmit();
  });

  document.addEventListener("DOMContentLoaded", () => {
    initContent(document);
    initSelection();
    $$("dialog").forEach((dlg) => {
      dlg.addEventListener("cancel", (ev) => {
        // Escape that closed a picker's list keeps the dialog open.
        if ($("[data-picker][data-escaped]", dlg)) ev.preventDefault();
      });
      dlg.addEventListener("close", () => {
        if (dlg.id === "confirm-dialog") return;
        setTimeout(() => {
          if (changed && !$("dialog[open]")) location.reload();
        }, 0);
      });
    });
  });
})();
