// mockquay's dashboard: fills the page from the admin API every two seconds.
// No framework and no build step; every value is written with textContent, never as HTML.
// Every time shown is on mockquay's clock, the clock of the mirrors' dates.
"use strict";

(function () {
  const data = document.body.dataset;
  const POLL_MS = 2000;
  const STATE_EVERY = 5; // the state (settings, fixture tokens) is read every fifth poll
  const JOURNAL_ROWS = 200;
  const HISTORY_ROWS = 50;
  const ADMIN_TOKEN_KEY = "mockquay.adminToken";
  const QUAY_TOKEN_KEY = "mockquay.quayToken";
  const $ = (id) => document.getElementById(id);
  const operations = new Set(["getRepoMirrorConfig", "createRepoMirrorConfig",
    "changeRepoMirrorConfig", "syncNow", "syncCancel"]);
  const repositories = new Set();
  let selected = null; // the repository whose mirror the mirror panel shows
  let polls = 0;
  let timer = null;

  function stored(key) {
    try { return localStorage.getItem(key) || ""; } catch (error) { return ""; }
  }
  function store(key, value) {
    try {
      if (value) { localStorage.setItem(key, value); } else { localStorage.removeItem(key); }
    } catch (error) { /* storage disabled: the value lasts until the page is left */ }
  }

  // "#admin_token=T" in the address is kept like a typed token, then taken out of the address.
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.has("admin_token")) {
    store(ADMIN_TOKEN_KEY, fragment.get("admin_token"));
    history.replaceState(null, "", location.pathname + location.search);
  }

  class Unauthorized extends Error {}

  async function admin(path, options) {
    const headers = { Accept: "application/json" };
    const token = stored(ADMIN_TOKEN_KEY);
    if (token) { headers[data.tokenHeader] = token; }
    if (options && options.json !== undefined) { headers["Content-Type"] = "application/json"; }
    const response = await fetch(path.startsWith("/") ? path : data.adminPrefix + "/" + path, {
      method: (options && options.method) || "GET",
      headers: headers,
      body: options && options.json !== undefined ? JSON.stringify(options.json) : undefined,
      cache: "no-store",
    });
    if (response.status === 401) { throw new Unauthorized(await errorText(response)); }
    return response;
  }

  async function errorText(response) {
    const text = await response.text();
    try {
      const body = JSON.parse(text);
      if (body && typeof body === "object") {
        return body.error || body.detail || body.message || body.error_message || text;
      }
      return text;
    } catch (error) { return text; }
  }

  function cell(row, text, className) {
    const td = document.createElement("td");
    td.textContent = text === null || text === undefined || text === "" ? "\u2014" : String(text);
    if (className) { td.className = className; }
    row.appendChild(td);
    return td;
  }

  // A table with buttons is rebuilt only when its data changed, so that a click does not land
  // on a row the last refresh replaced.
  const shown = new Map();
  function changed(name, value) {
    const text = JSON.stringify(value);
    if (shown.get(name) === text) { return false; }
    shown.set(name, text);
    return true;
  }

  function fillTable(id, rows) {
    $(id).tBodies[0].replaceChildren(...rows);
  }

  function button(className, label, dataset) {
    const element = document.createElement("button");
    element.type = "button";
    element.className = className;
    element.textContent = label;
    Object.assign(element.dataset, dataset || {});
    return element;
  }

  // Quay's start_ts and end_ts (seconds), as the mirrors' dates are shown.
  function clockTime(seconds) {
    if (seconds === null || seconds === undefined) { return null; }
    return new Date(seconds * 1000).toISOString().replace(".000Z", "Z");
  }

  function fillDatalist(id, values) {
    $(id).replaceChildren(...[...values].sort().map((value) => {
      const option = document.createElement("option");
      option.value = value;
      return option;
    }));
  }

  function showHealth(health) {
    $("profile").textContent = health.profile;
    $("version").textContent = health.version;
  }

  function failureText(failure) {
    return failure && `${failure.datetime} ${failure.message || ""}`.trim();
  }

  function showMirrors(mirrors) {
    if (!mirrors.some((mirror) => mirror.repository === selected)) {
      selected = mirrors.length ? mirrors[0].repository : null;
    }
    if (!changed("mirrors", [selected, mirrors])) { return; }
    const rows = mirrors.map((mirror) => {
      repositories.add(mirror.repository);
      const row = document.createElement("tr");
      row.dataset.repository = mirror.repository;
      if (mirror.repository === selected) { row.className = "selected"; }
      // The repository's name shows its mirror in the mirror panel.
      cell(row, "", "repository").replaceChildren(
        button("show", mirror.repository, { action: "show" }));
      cell(row, mirror.external_reference, "external_reference");
      cell(row, mirror.is_enabled ? "yes" : "no", "is_enabled");
      const status = cell(row, mirror.sync_status, "sync_status");
      status.dataset.status = mirror.sync_status;
      cell(row, mirror.sync_retries_remaining, "sync_retries_remaining");
      cell(row, mirror.sync_start_date, "sync_start_date");
      cell(row, mirror.sync_expiration_date, "sync_expiration_date");
      const last = mirror.last_sync;
      const lastCell = cell(row, last && `${last.datetime} ${last.kind.replace("repo_mirror_sync_", "")}`,
        "last_sync");
      if (last && last.message) { lastCell.title = last.message; }
      const failureCell = cell(row, failureText(mirror.last_failure), "last_failure");
      if (mirror.last_failure && mirror.last_failure.stderr) {
        failureCell.title = mirror.last_failure.stderr;
      }
      const actions = document.createElement("td");
      actions.className = "actions";
      for (const [action, label] of [["sync-now", "Sync now"], ["sync-cancel", "Cancel sync"]]) {
        actions.appendChild(button(action, label, { action: action }));
      }
      row.appendChild(actions);
      return row;
    });
    fillTable("mirrors", rows);
    $("no-mirrors").hidden = rows.length > 0;
    fillDatalist("repositories", repositories);
    const mirror = mirrors.find((each) => each.repository === selected);
    showLastFailure(mirror ? mirror.last_failure : null);
  }

  function showLastFailure(failure) {
    $("last-failure").hidden = !failure;
    $("no-failure").hidden = Boolean(failure);
    $("last-failure-time").textContent = failure ? failure.datetime : "";
    $("last-failure-message").textContent = failure ? failure.message || "" : "";
    $("last-failure-stderr").textContent = failure ? failure.stderr || "" : "";
    const tags = failure ? failure.failed_tags : [];
    $("failed-tags").hidden = tags.length === 0;
    fillTable("failed-tags", tags.map((tag) => {
      const row = document.createElement("tr");
      cell(row, tag.datetime, "datetime");
      cell(row, tag.tag, "tag");
      cell(row, tag.message, "message");
      cell(row, tag.stderr, "stderr");
      return row;
    }));
  }

  function showMirror(detail) {
    $("mirror-panel").hidden = detail === null;
    if (detail === null) { return; }
    $("mirror-repository").textContent = detail.repository;
    fillTable("history", detail.history.slice(0, HISTORY_ROWS).map((entry) => {
      const row = document.createElement("tr");
      row.dataset.kind = entry.kind;
      cell(row, entry.datetime, "datetime");
      cell(row, entry.kind.replace("repo_mirror_sync_", ""), "kind");
      cell(row, entry.tag, "tag");
      cell(row, entry.message, "message");
      cell(row, entry.stderr, "stderr");
      return row;
    }));
    const count = detail.history.length;
    $("history-count").textContent = count > HISTORY_ROWS
      ? `${count} log entries; the newest ${HISTORY_ROWS} are shown`
      : `${count} log entr${count === 1 ? "y" : "ies"}`;
    fillTable("tags", detail.tags.map((tag) => {
      const row = document.createElement("tr");
      if (tag.end_ts !== null) { row.className = "ended"; }
      cell(row, tag.name, "name");
      cell(row, tag.manifest_digest, "manifest_digest");
      cell(row, tag.size, "size");
      cell(row, clockTime(tag.start_ts), "start");
      cell(row, tag.end_ts === null ? "alive" : clockTime(tag.end_ts), "end");
      return row;
    }));
    $("tags-count").textContent = (detail.has_additional_tags
      ? `the newest ${detail.tags.length} tag rows; older ones are not shown`
      : `${detail.tags.length} tag row${detail.tags.length === 1 ? "" : "s"}`)
      + " (a row per lifetime of a tag: each sync that copies a tag starts a new one)";
  }

  function showRegistries(registries) {
    const rows = [];
    for (const registry of registries) {
      const host = registry.host + (registry.tls === "valid" ? "" : ` (TLS ${registry.tls})`)
        + (registry.username ? ` \u00b7 user ${registry.username}` : "");
      for (const repository of registry.repositories) {
        for (const tag of repository.tags.length ? repository.tags : [null]) {
          const row = document.createElement("tr");
          row.dataset.registry = registry.host;
          row.dataset.path = repository.path;
          cell(row, host, "host");
          cell(row, repository.path, "upstream_path");
          cell(row, repository.mirrors.join(", "), "mirrors");
          cell(row, tag && tag.name, "tag");
          cell(row, tag && tag.manifest_digest, "manifest_digest");
          cell(row, tag && tag.architectures.join(", "), "architectures");
          cell(row, tag && `${tag.copy_seconds} s`, "copy_seconds");
          cell(row, tag && tag.fail, "fail");
          rows.push(row);
        }
      }
    }
    fillTable("registries", rows);
    $("no-registries").hidden = registries.length > 0;
  }

  function countsText(repositories) {
    const counts = new Map();
    for (const repository of repositories) {
      counts.set(repository.sync_status, (counts.get(repository.sync_status) || 0) + 1);
    }
    return [...counts].sort().map(([status, count]) => `${count} ${status}`).join(", ");
  }

  function showOrgMirrors(orgMirrors) {
    const configs = [];
    const discovered = [];
    for (const mirror of orgMirrors) {
      const row = document.createElement("tr");
      row.dataset.organization = mirror.organization;
      cell(row, mirror.organization, "organization");
      cell(row, `${mirror.external_registry_type} ${mirror.external_registry_url}`
        + ` / ${mirror.external_namespace}`, "source");
      cell(row, mirror.repository_filters.join(", "), "repository_filters");
      cell(row, mirror.is_enabled ? "yes" : "no", "is_enabled");
      cell(row, mirror.sync_status, "sync_status").dataset.status = mirror.sync_status;
      cell(row, mirror.sync_retries_remaining, "sync_retries_remaining");
      cell(row, mirror.sync_start_date, "sync_start_date");
      cell(row, countsText(mirror.repositories), "repositories");
      configs.push(row);
      for (const repository of mirror.repositories) {
        const line = document.createElement("tr");
        line.dataset.repository = `${mirror.organization}/${repository.name}`;
        cell(line, mirror.organization, "organization");
        cell(line, repository.name, "name");
        cell(line, repository.sync_status, "sync_status").dataset.status = repository.sync_status;
        cell(line, repository.status_message, "status_message");
        cell(line, repository.discovery_date, "discovery_date");
        cell(line, repository.last_sync_date, "last_sync_date");
        cell(line, repository.quay_repository, "quay_repository");
        discovered.push(line);
      }
    }
    fillTable("org-mirrors", configs);
    fillTable("org-mirror-repositories", discovered);
    $("no-org-mirrors").hidden = configs.length > 0;
  }

  function showClock(clock) {
    $("clock-panel").hidden = clock === null;
    if (clock !== null) {
      $("clock-now").textContent = clock.now;
      $("clock-mode").textContent = clock.mode ? `(${clock.mode})` : "";
    }
  }

  function journalQuery() {
    const query = new URLSearchParams();
    for (const field of $("journal-filters").elements) {
      if (field.name && field.value.trim()) { query.append(field.name, field.value.trim()); }
    }
    return query.toString();
  }

  function showJournal(entries) {
    const newest = entries.slice(-JOURNAL_ROWS).reverse();
    const rows = newest.map((entry) => {
      if (entry.operation) { operations.add(entry.operation); }
      if (entry.repository) { repositories.add(entry.repository); }
      const row = document.createElement("tr");
      if (entry.fault) { row.className = "faulted"; }
      cell(row, entry.id);
      cell(row, entry.clock_time, "clock_time").title = `${entry.time} on the wall clock`;
      cell(row, entry.method);
      cell(row, entry.path + (entry.query ? "?" + entry.query : ""), "path");
      cell(row, entry.operation);
      cell(row, entry.repository);
      cell(row, entry.status, "status");
      cell(row, entry.fault);
      return row;
    });
    fillTable("journal", rows);
    $("journal-count").textContent = entries.length > JOURNAL_ROWS
      ? `${entries.length} requests; the newest ${JOURNAL_ROWS} are shown`
      : `${entries.length} request${entries.length === 1 ? "" : "s"}`;
    fillDatalist("operations", operations);
  }

  function showNotifications(found) {
    const newest = found.deliveries.slice(-JOURNAL_ROWS).reverse();
    const rows = newest.map((delivery) => {
      const row = document.createElement("tr");
      if (delivery.outcome === "failed") { row.className = "faulted"; }
      cell(row, delivery.id);
      cell(row, delivery.time, "clock_time");
      cell(row, delivery.repository);
      cell(row, delivery.event, "event");
      cell(row, delivery.method, "method");
      cell(row, delivery.target, "path");
      const outcome = cell(row, delivery.outcome, "outcome");
      if (delivery.error) { outcome.title = delivery.error; }
      cell(row, delivery.number_of_failures);
      cell(row, delivery.fault);
      return row;
    });
    fillTable("notifications", rows);
    const count = found.deliveries.length;
    $("notifications-count").textContent =
      `${count} deliver${count === 1 ? "y" : "ies"}, ${found.pending} pending`;
  }

  function showFaults(faults) {
    if (!changed("faults", faults)) { return; }
    $("fault-seed").textContent = faults.seed;
    const rows = faults.rules.map((rule) => {
      const row = document.createElement("tr");
      row.dataset.id = rule.id;
      cell(row, rule.id, "id");
      const match = Object.entries(rule.match || {}).map(([key, value]) => `${key}=${value}`);
      cell(row, match.length ? match.join(" ") : "every request");
      const answer = [];
      if (rule.status !== null && rule.status !== undefined) { answer.push(String(rule.status)); }
      if (rule.transport) { answer.push(rule.transport); }
      if (rule.delay_ms) { answer.push(`+${rule.delay_ms} ms`); }
      cell(row, answer.join(" "));
      cell(row, rule.phase);
      const times = rule.times === null || rule.times === undefined ? "\u221e" : rule.times;
      cell(row, `${times} / ${rule.after || 0} / ${rule.probability}`);
      cell(row, rule.matched, "matched");
      cell(row, rule.fired, "fired");
      const actions = document.createElement("td");
      actions.appendChild(button("remove-fault", "Remove", { id: rule.id }));
      row.appendChild(actions);
      return row;
    });
    fillTable("faults", rows);
    $("no-faults").hidden = rows.length > 0;
  }

  function showState(state) {
    const settings = state.settings || {};
    const list = $("settings");
    const items = [];
    for (const key of Object.keys(settings).sort()) {
      const term = document.createElement("dt");
      term.textContent = key;
      const value = document.createElement("dd");
      value.textContent = JSON.stringify(settings[key]);
      items.push(term, value);
    }
    if (!items.length) {
      const none = document.createElement("dd");
      none.textContent = "Quay's defaults (the fixtures set no settings)";
      items.push(none);
    }
    list.replaceChildren(...items);
    prefillQuayToken(state.tokens || []);
  }

  // The Quay token: the one typed here (kept in localStorage), else the first fixture token
  // with the repo:admin scope, which is what sync-now and sync-cancel need.
  function prefillQuayToken(tokens) {
    const input = $("quay-token");
    if (stored(QUAY_TOKEN_KEY) || document.activeElement === input) { return; }
    const usable = tokens.find((token) => (token.scopes || []).includes("repo:admin"));
    input.value = usable ? usable.token : "";
    $("quay-token-source").textContent = usable
      ? `(${usable.user}'s token from the fixtures)` : "(no fixture token has repo:admin)";
  }

  async function optional(path) {
    const response = await admin(path);
    return response.status === 404 ? null : response.json();
  }

  // One refresh at a time: a refresh asked for while one runs follows it.
  let running = false;
  let again = false;
  async function poll() {
    if (running) { again = true; return; }
    running = true;
    clearTimeout(timer);
    let keepPolling = true;
    try {
      keepPolling = document.hidden || await refresh();
    } finally {
      running = false;
    }
    if (again) { again = false; poll(); return; }
    if (keepPolling) { timer = setTimeout(poll, POLL_MS); }
  }

  // Reads everything and shows it; false when the admin token is missing or wrong.
  async function refresh() {
    try {
      const health = await admin("health");
      if (!health.ok) { throw new Error(await errorText(health)); }
      $("admin-token-panel").hidden = true;
      $("dashboard").hidden = false;
      showHealth(await health.json());
      const query = journalQuery();
      const [journal, mirrors, clock, faults, registries, deliveries, orgMirrors] = await Promise.all([
        admin("requests" + (query ? "?" + query : "")),
        admin(data.mirrorsUrl).then((response) => response.json()),
        optional("clock"),
        admin("faults").then((response) => response.json()),
        admin(data.registriesUrl).then((response) => response.json()),
        admin("notifications").then((response) => response.json()),
        admin(data.orgMirrorsUrl).then((response) => response.json()),
      ]);
      if (journal.ok) {
        $("journal-error").textContent = "";
        showJournal((await journal.json()).requests);
      } else {
        $("journal-error").textContent = await errorText(journal);
      }
      showMirrors(mirrors.mirrors);
      showClock(clock);
      showFaults(faults);
      showRegistries(registries.registries);
      showNotifications(deliveries);
      showOrgMirrors(orgMirrors.org_mirrors);
      showMirror(selected === null ? null : await optional(repositoryUrl(data.mirrorUrl, selected)));
      if (polls % STATE_EVERY === 0) {
        showState(await admin("state?secrets=true").then((response) => response.json()));
      }
      polls += 1;
      const when = clock === null ? new Date().toLocaleTimeString() : `at ${clock.now}`;
      $("refresh-state").textContent = `\u00b7 refreshed ${when}`;
    } catch (error) {
      if (error instanceof Unauthorized) {
        $("admin-token-panel").hidden = false;
        $("dashboard").hidden = true;
        $("admin-token-error").textContent = stored(ADMIN_TOKEN_KEY) ? error.message : "";
        return false;
      }
      $("refresh-state").textContent = `\u00b7 cannot refresh: ${error.message}`;
    }
    return true;
  }

  function repositoryUrl(template, repository) {
    const path = repository.split("/").map(encodeURIComponent).join("/");
    return template.replace(data.repositoryPlaceholder, path);
  }

  async function sync(action, repository) {
    const template = action === "sync-now" ? data.syncNowUrl : data.syncCancelUrl;
    // Quay refuses browser calls without X-Requested-With (BROWSER_API_CALLS_XHR_ONLY).
    const headers = { "X-Requested-With": "XMLHttpRequest" };
    const token = $("quay-token").value.trim();
    if (token) { headers.Authorization = `Bearer ${token}`; }
    const result = $("action-result");
    const operation = action === "sync-now" ? "syncNow" : "syncCancel";
    try {
      const response = await fetch(repositoryUrl(template, repository), {
        method: "POST", headers: headers, credentials: "omit", cache: "no-store",
      });
      const detail = response.ok ? "" : `: ${await errorText(response)}`;
      result.textContent = `${operation} ${repository}: ${response.status}${detail}`;
      result.className = response.ok ? "ok" : "error";
    } catch (error) {
      result.textContent = `${operation} ${repository}: ${error.message}`;
      result.className = "error";
    }
    poll();
  }

  async function advanceClock(seconds) {
    $("clock-error").textContent = "";
    try {
      const response = await admin("clock", { method: "POST", json: { advance: seconds } });
      if (!response.ok) { $("clock-error").textContent = await errorText(response); }
    } catch (error) {
      $("clock-error").textContent = error.message;
    }
    poll();
  }

  // Shows what an admin call did in ``target``; then the page is refreshed.
  async function act(target, call, done) {
    const result = $(target);
    result.textContent = "";
    result.className = "";
    try {
      const response = await call();
      result.textContent = response.ok ? done(await response.json()) : await errorText(response);
      result.className = response.ok ? "ok" : "error";
    } catch (error) {
      result.textContent = error.message;
      result.className = "error";
    }
    polls = 0;
    poll();
  }

  $("mirrors").tBodies[0].addEventListener("click", (event) => {
    const clicked = event.target.closest("button[data-action]");
    if (!clicked) { return; }
    const repository = clicked.closest("tr").dataset.repository;
    if (clicked.dataset.action === "show") {
      selected = repository;
      poll();
    } else {
      sync(clicked.dataset.action, repository);
    }
  });
  $("faults").tBodies[0].addEventListener("click", (event) => {
    const clicked = event.target.closest("button.remove-fault");
    if (!clicked) { return; }
    act("fault-result",
      () => admin("faults/" + encodeURIComponent(clicked.dataset.id), { method: "DELETE" }),
      (body) => `removed ${body.deleted.join(", ")}`);
  });
  $("fault-form").addEventListener("submit", (event) => {
    event.preventDefault();
    let rule;
    try {
      rule = JSON.parse($("fault-rule").value);
    } catch (error) {
      $("fault-result").textContent = `not JSON: ${error.message}`;
      $("fault-result").className = "error";
      return;
    }
    act("fault-result", () => admin("faults", { method: "POST", json: rule }),
      (body) => `added ${body.rules.map((added) => added.id).join(", ")}`);
  });
  $("reset-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (!confirm("Reset mockquay to its fixtures? State and fault rules go back to boot.")) {
      return;
    }
    act("reset-result", () => admin("reset", { method: "POST" }),
      (body) => `reset to the ${body.reset}`);
  });
  $("quay-token").addEventListener("change", (event) => {
    store(QUAY_TOKEN_KEY, event.target.value.trim());
    $("quay-token-source").textContent = event.target.value.trim() ? "(kept in this browser)" : "";
    if (!event.target.value.trim()) { polls = 0; poll(); }
  });
  $("quay-token-form").addEventListener("submit", (event) => event.preventDefault());
  if (stored(QUAY_TOKEN_KEY)) {
    $("quay-token").value = stored(QUAY_TOKEN_KEY);
    $("quay-token-source").textContent = "(kept in this browser)";
  }
  $("admin-token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    store(ADMIN_TOKEN_KEY, $("admin-token").value.trim());
    $("admin-token").value = "";
    polls = 0;
    poll();
  });
  $("clock-form").addEventListener("click", (event) => {
    const button = event.target.closest("button[data-advance]");
    if (button) { advanceClock(Number(button.dataset.advance)); }
  });
  $("clock-form").addEventListener("submit", (event) => {
    event.preventDefault();
    advanceClock(Number($("clock-seconds").value));
  });
  $("journal-filters").addEventListener("input", () => poll());
  $("journal-filters").addEventListener("submit", (event) => { event.preventDefault(); poll(); });
  document.addEventListener("visibilitychange", () => { if (!document.hidden) { poll(); } });
  poll();
})();
