/* SafetyNet Dispatch console: live updates, in plain JavaScript (no build step, no CDN).
 *
 * The server streams "changed" events on /console/events (Server-Sent Events). On each,
 * this script re-fetches the page's fragment (#live[data-live-src]) and swaps it in,
 * unless the person is in the middle of a form: then it offers a "load latest" button
 * instead of throwing their input away. Without JavaScript the pages still work; they
 * just need a reload.
 */
(function () {
  "use strict";

  var live = document.getElementById("live");
  var statusLine = document.getElementById("live-status");
  var pending = document.getElementById("pending");
  var announcer = document.getElementById("live-announcer");
  if (!live || !live.dataset.liveSrc || !window.EventSource || !window.fetch) {
    return;
  }

  function setStatus(state, text) {
    if (statusLine) {
      statusLine.dataset.state = state;
      statusLine.textContent = text;
    }
  }

  function isDirty(field) {
    if (field.type === "hidden" || field.type === "submit" || field.type === "button") {
      return false;
    }
    if (field.type === "checkbox" || field.type === "radio") {
      return field.checked !== field.defaultChecked;
    }
    if (field.tagName === "SELECT") {
      return Array.prototype.some.call(field.options, function (o) { return o.selected !== o.defaultSelected; });
    }
    return field.value !== field.defaultValue;
  }

  // True while swapping the fragment would lose what the person is doing.
  function busy() {
    if (document.querySelector("[data-hold-updates]")) {
      return true; // a refused form is shown with its input kept
    }
    var active = document.activeElement;
    if (active && live.contains(active) && /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName)) {
      return true;
    }
    if (live.querySelector("details[open]")) {
      return true;
    }
    return Array.prototype.some.call(live.querySelectorAll("input, textarea, select"), isDirty);
  }

  var loading = false;
  var again = false;

  function refresh(force) {
    if (!force && busy()) {
      if (pending) { pending.hidden = false; }
      return;
    }
    if (loading) { again = true; return; }
    loading = true;
    fetch(live.dataset.liveSrc, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "text/html" } })
      .then(function (response) {
        if (response.status === 401) {
          throw new Error("signed-out");
        }
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        var focused = document.activeElement && live.contains(document.activeElement) ? document.activeElement.id : "";
        live.innerHTML = html; // server-rendered by the autoescaping templates
        if (pending) { pending.hidden = true; }
        if (focused && document.getElementById(focused)) {
          document.getElementById(focused).focus(); // keyboard users keep their place
        }
        live.dataset.updatedAt = String(Date.now());
        if (announcer) { announcer.textContent = "畫面已更新 Updated " + new Date().toLocaleTimeString("zh-TW"); }
      })
      .catch(function (error) {
        if (error.message === "signed-out") {
          setStatus("off", "登入已失效，請重新登入。 Signed out: sign in again.");
        }
      })
      .then(function () {
        loading = false;
        if (again) { again = false; refresh(false); }
      });
  }

  if (pending) {
    document.getElementById("pending-load").addEventListener("click", function () { refresh(true); });
  }

  var feed = new EventSource(live.dataset.events);
  var reconnecting = null;
  feed.addEventListener("ready", function () {
    clearTimeout(reconnecting);
    setStatus("live", "即時更新中 Live");
  });
  feed.addEventListener("changed", function () { refresh(false); });
  feed.addEventListener("error", function () {
    if (feed.readyState === EventSource.CLOSED) {
      setStatus("off", "即時更新已中斷，請重新整理或重新登入。 Live updates stopped: reload or sign in again.");
      return;
    }
    // The server ends each stream after a while and the browser reconnects at once:
    // only say so if it takes longer than that.
    clearTimeout(reconnecting);
    reconnecting = setTimeout(function () { setStatus("connecting", "重新連線中… Reconnecting…"); }, 3000);
  });

  // Time left on each SLA ages between changes: refresh the numbers every minute.
  setInterval(function () { refresh(false); }, 60000);
})();
