// The staff documents pages: uploads (file picker and drag-and-drop share one path), live
// status by polling a small JSON endpoint (metadata only, never document text), and row actions
// (access, re-index, delete) without reloading. Every form still posts normally when this script
// does not run.
"use strict";

(() => {
  // Fast while something is being indexed, slow otherwise (to notice uploads made elsewhere).
  const FAST_POLL_MS = 1500;
  const SLOW_POLL_MS = 10000;
  const ACTIVE = new Set(["queued", "processing"]);
  // The list's search and filters (retrieval.forms.DocumentFilterForm).
  const FILTERS = ["q", "status", "access", "group"];

  const rows = document.querySelector("tbody#document-rows");
  const statusSource = document.querySelector("[data-status-url]");
  const uploadForm = document.getElementById("upload-form");
  const notice = document.getElementById("table-notice");
  const known = new Map(); // document id → the latest JSON seen for it
  let pollTimer = 0;

  function csrfToken() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // Sends a request the views answer in JSON; throws an Error carrying the server's reasons.
  async function requestJSON(url, { method = "GET", body = null } = {}) {
    let response;
    try {
      response = await fetch(url, {
        method,
        body,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
      });
    } catch (error) {
      throw new Error("The server could not be reached; check the connection and try again.");
    }
    const type = response.headers.get("Content-Type") || "";
    if (!type.includes("application/json")) {
      // A redirect to the sign-in page or a CSRF failure page: the session is no longer valid.
      throw new Error(`Your session may have ended (the server answered ${response.status}); reload the page.`);
    }
    const data = await response.json();
    if (!response.ok) {
      throw new Error((data.errors || [`The server answered ${response.status}.`]).join(" "));
    }
    return data;
  }

  function showNotice(message, isError = true) {
    if (!notice) return;
    notice.textContent = message;
    notice.className = isError ? "error" : "muted";
    notice.hidden = !message;
  }

  function stageLabel(doc) {
    if (doc.status !== "processing") return "";
    return doc.progress_total ? `${doc.stage} ${doc.progress_done} / ${doc.progress_total}` : doc.stage;
  }

  function setField(root, field, value) {
    root.querySelectorAll(`[data-field="${field}"]`).forEach((node) => {
      node.textContent = value;
    });
  }

  // Writes a document's JSON into an element laid out like templates/documents/_row.html.
  function fill(root, doc) {
    known.set(String(doc.id), doc);
    root.dataset.id = String(doc.id);
    root.dataset.status = doc.status;
    for (const field of ["filename", "size_label", "access_label", "chunk_count", "updated"]) {
      setField(root, field, String(doc[field]));
    }
    setField(root, "title", doc.title);
    setField(root, "stage_label", stageLabel(doc));
    root.querySelectorAll('[data-field="status"]').forEach((badge) => {
      badge.textContent = doc.status;
      badge.className = `badge status-${doc.status}`;
    });
    root.querySelectorAll('[data-field="progress"]').forEach((bar) => {
      bar.max = doc.progress_total || 1;
      bar.value = doc.progress_done;
      bar.hidden = doc.status !== "processing";
    });
    root.querySelectorAll('[data-field="error"]').forEach((node) => {
      node.textContent = doc.error;
      node.hidden = !doc.error;
    });
    root.querySelectorAll('a[data-field="title"]').forEach((a) => { a.href = doc.urls.detail; });
    root.querySelectorAll('a[data-action="access"]').forEach((a) => { a.href = `${doc.urls.detail}#access`; });
    root.querySelectorAll('form[data-action="reindex"]').forEach((f) => { f.action = doc.urls.reindex; });
    root.querySelectorAll('form[data-action="delete"]').forEach((f) => { f.action = doc.urls.delete; });
    // The detail page lists passages of one version; say so when a newer one has replaced them.
    const hint = root.querySelector('[data-field="reload_hint"]');
    if (hint && root.dataset.version !== undefined) {
      hint.hidden = String(doc.version) === root.dataset.version;
    }
  }

  function elementFor(id) {
    return document.querySelector(`[data-doc][data-id="${id}"]`);
  }

  // Updates the element showing a document, adding a table row for one not shown yet.
  function applyDoc(doc) {
    let element = elementFor(doc.id);
    if (!element) {
      if (!rows) return;
      const template = document.getElementById("row-template");
      element = template.content.querySelector("tr").cloneNode(true);
      const newer = [...rows.querySelectorAll("tr[data-doc]")].find((tr) => Number(tr.dataset.id) < doc.id);
      rows.insertBefore(element, newer || null);
      const empty = document.getElementById("no-documents");
      if (empty) empty.hidden = true;
    }
    fill(element, doc);
  }

  function forget(id) {
    known.delete(String(id));
    const element = elementFor(id);
    if (!element) return;
    if (element.tagName === "TR") {
      element.remove();
      const empty = document.getElementById("no-documents");
      if (empty) empty.hidden = rows.querySelector("tr[data-doc]") !== null;
    } else {
      element.dataset.status = "deleted";
      setField(element, "status", "deleted");
    }
  }

  // --- live status -----------------------------------------------------------------------

  function shownIds() {
    return [...document.querySelectorAll("[data-doc]")]
      .filter((el) => el.dataset.id && el.dataset.status !== "deleted")
      .map((el) => el.dataset.id);
  }

  function firstPage() {
    const page = new URLSearchParams(window.location.search).get("page");
    return !page || page === "1";
  }

  async function poll() {
    pollTimer = 0;
    const ids = shownIds();
    const params = new URLSearchParams({ ids: ids.join(",") });
    if (rows && firstPage()) {
      params.set("after", String(Math.max(0, ...ids.map(Number))));
      // Documents added elsewhere appear only when they match the page's search and filters.
      const shown = new URLSearchParams(window.location.search);
      for (const name of FILTERS) {
        if (shown.get(name)) params.set(name, shown.get(name));
      }
    }
    try {
      const data = await requestJSON(`${statusSource.dataset.statusUrl}?${params}`);
      const returned = new Set(data.documents.map((doc) => String(doc.id)));
      data.documents.forEach(applyDoc);
      ids.filter((id) => !returned.has(id)).forEach(forget);
      if (notice && notice.dataset.fromPoll) showNotice("");
    } catch (error) {
      showNotice(`Live status paused: ${error.message}`);
      if (notice) notice.dataset.fromPoll = "1";
    }
    schedulePoll();
  }

  function schedulePoll(delay) {
    if (!statusSource) return;
    if (pollTimer) clearTimeout(pollTimer);
    if (delay === undefined) {
      const busy = [...document.querySelectorAll("[data-doc]")].some((el) => ACTIVE.has(el.dataset.status));
      delay = busy && !document.hidden ? FAST_POLL_MS : SLOW_POLL_MS;
    }
    pollTimer = setTimeout(poll, delay);
  }

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) schedulePoll(0);
  });

  // --- access fields -----------------------------------------------------------------------

  // The group and people lists matter only for a restricted document; hide them otherwise.
  function syncAccessFields(fieldset) {
    const choice = fieldset.querySelector('input[name="access"]:checked');
    const lists = fieldset.querySelector("[data-restricted]");
    if (lists) lists.hidden = !choice || choice.value !== "restricted";
  }

  document.querySelectorAll("[data-access-fields]").forEach((fieldset) => {
    fieldset.addEventListener("change", () => syncAccessFields(fieldset));
    const filter = fieldset.querySelector("[data-filter]");
    if (filter) {
      filter.addEventListener("input", () => {
        const needle = filter.value.trim().toLowerCase();
        fieldset.querySelectorAll("[data-filterable]").forEach((label) => {
          label.hidden = needle !== "" && !label.textContent.toLowerCase().includes(needle);
        });
      });
    }
    syncAccessFields(fieldset);
  });

  // --- uploads -----------------------------------------------------------------------------

  function formatBytes(bytes) {
    const units = ["bytes", "KB", "MB", "GB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return unit === 0 ? `${value} bytes` : `${value.toFixed(1)} ${units[unit]}`;
  }

  function logItem(name) {
    const item = document.createElement("li");
    const label = document.createElement("span");
    label.className = "name";
    label.textContent = name;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    const message = document.createElement("span");
    message.className = "message small";
    item.append(label, bar, message);
    document.getElementById("upload-log").prepend(item);
    return {
      progress(fraction) { bar.value = fraction; },
      ok(text) {
        bar.remove();
        item.className = "ok";
        message.textContent = text;
      },
      fail(text, link) {
        bar.remove();
        item.className = "failed";
        message.setAttribute("role", "alert");
        message.textContent = text;
        if (link) {
          const a = document.createElement("a");
          a.href = link;
          a.textContent = " Open it.";
          message.append(a);
        }
      },
    };
  }

  // One request per file: each gets its own progress bar and its own answer.
  function uploadOne(file) {
    const item = logItem(file.name);
    const maxBytes = Number(uploadForm.dataset.maxBytes);
    if (maxBytes && file.size > maxBytes) {
      item.fail(`${file.name} is ${formatBytes(file.size)}, over the upload limit of ${uploadForm.dataset.maxLabel}; nothing was sent.`);
      return Promise.resolve();
    }
    const body = new FormData(uploadForm);
    body.delete("uploads");
    body.append("uploads", file, file.name);
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", uploadForm.action);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("X-CSRFToken", csrfToken());
      xhr.upload.addEventListener("progress", (event) => {
        if (event.lengthComputable) item.progress(event.loaded / event.total);
      });
      xhr.addEventListener("load", () => {
        let data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (error) {
          item.fail(`The server answered ${xhr.status}; your session may have ended, reload the page.`);
        }
        if (data && data.results) {
          for (const result of data.results) {
            if (result.ok) {
              item.ok("Uploaded; queued for indexing.");
              applyDoc(result.document);
            } else {
              item.fail(result.error, result.duplicate_of && result.duplicate_of.url);
            }
          }
        } else if (data) {
          item.fail((data.errors || [`The server answered ${xhr.status}.`]).join(" "));
        }
        resolve();
      });
      xhr.addEventListener("error", () => {
        item.fail("The upload did not reach the server; check the connection and try again.");
        resolve();
      });
      xhr.send(body);
    });
  }

  async function uploadFiles(fileList) {
    for (const file of [...fileList]) {
      await uploadOne(file);
      schedulePoll(0);
    }
  }

  if (uploadForm) {
    const input = uploadForm.querySelector('input[type="file"]');
    const zone = document.getElementById("dropzone");
    input.addEventListener("change", () => {
      const chosen = [...input.files];
      // Cleared so that choosing the same file again fires another change.
      input.value = "";
      uploadFiles(chosen);
    });
    uploadForm.addEventListener("submit", (event) => event.preventDefault());
    for (const name of ["dragenter", "dragover"]) {
      zone.addEventListener(name, (event) => {
        event.preventDefault();
        zone.classList.add("dragging");
      });
    }
    for (const name of ["dragleave", "drop"]) {
      zone.addEventListener(name, () => zone.classList.remove("dragging"));
    }
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) uploadFiles(event.dataTransfer.files);
    });
  }

  // --- row actions -------------------------------------------------------------------------

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      return;
    }
    const row = form.closest("tr[data-doc]");
    if (!row || !form.dataset.action) return;
    event.preventDefault();
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    try {
      const data = await requestJSON(form.action, { method: "POST", body: new FormData(form) });
      if (form.dataset.action === "delete") forget(data.deleted);
      else applyDoc(data.document);
      showNotice("");
      schedulePoll(0);
    } catch (error) {
      showNotice(error.message);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
    }
  });

  const dialog = document.getElementById("access-dialog");
  if (dialog && rows) {
    const form = document.getElementById("access-dialog-form");
    const error = dialog.querySelector("[data-dialog-error]");
    const fieldset = dialog.querySelector("[data-access-fields]");

    rows.addEventListener("click", (event) => {
      const link = event.target.closest('a[data-action="access"]');
      if (!link) return;
      const doc = known.get(link.closest("tr[data-doc]").dataset.id);
      if (!doc) return; // not loaded yet: the link goes to the detail page instead
      event.preventDefault();
      form.action = doc.urls.access;
      form.dataset.documentId = String(doc.id);
      dialog.querySelector("[data-dialog-document]").textContent = doc.title;
      const groupIds = new Set(doc.groups.map((g) => String(g.id)));
      const userIds = new Set(doc.users.map((u) => String(u.id)));
      fieldset.querySelectorAll('input[name="access"]').forEach((radio) => {
        radio.checked = radio.value === (doc.org_wide ? "org" : "restricted");
      });
      fieldset.querySelectorAll('input[name="groups"]').forEach((box) => { box.checked = groupIds.has(box.value); });
      fieldset.querySelectorAll('input[name="users"]').forEach((box) => { box.checked = userIds.has(box.value); });
      syncAccessFields(fieldset);
      error.hidden = true;
      dialog.showModal();
    });

    dialog.querySelector("[data-dialog-cancel]").addEventListener("click", () => dialog.close());

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const data = await requestJSON(form.action, { method: "POST", body: new FormData(form) });
        applyDoc(data.document);
        dialog.close();
      } catch (failure) {
        error.textContent = failure.message;
        error.hidden = false;
      }
    });
  }

  // --- start -------------------------------------------------------------------------------

  const initial = document.getElementById("documents-data");
  if (initial) JSON.parse(initial.textContent).forEach(applyDoc);
  schedulePoll();
})();
