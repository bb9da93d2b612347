// Field forms that survive a bad connection (ux.md: workers lose what they typed when the
// signal drops in a stairwell). A form marked data-keep:
//  - keeps a draft of what was typed in localStorage, restored when the form is opened again;
//  - is sent with fetch, encoded as the form declares (urlencoded unless it says multipart),
//    so a handler sees exactly what the browser would send without this script;
//  - when refused, stays as it is (text and chosen photos), with the error shown at the field
//    it names and scrolled into view;
//  - when the network is down, the whole submission (photos included) goes into an outbox in
//    IndexedDB and is sent when the network returns, by the same user only.
// A logged-in page registers the service worker (/sw.js), which keeps the due lists and the
// forms reachable from them for use without a signal. Logging out clears all of it.
// Any element with data-outbox-count shows how many submissions and drafts wait on the phone.
(function () {
  "use strict";
  var DRAFT = "shequ:draft:";
  var RETRY_MS = 5000;
  // Pages whose forms the service worker keeps for use without a signal (see sw.js).
  var OFFLINE_ROOT = /^\/nodes\/\d+\/(visits|patrols)$/;

  function user() {
    var a = document.querySelector(".who a");
    return a ? a.textContent.trim() : "";
  }

  function status(html) {
    var p = document.getElementById("outbox-status");
    if (!p) {
      p = document.createElement("p");
      p.id = "outbox-status";
      p.className = "flash";
      p.setAttribute("role", "status");
      var main = document.querySelector("main") || document.body;
      main.insertBefore(p, main.firstChild);
    }
    p.innerHTML = html;
  }

  function escape(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  // ------------------------------------------------------------------ drafts

  function draftKey(form) {
    return DRAFT + (form.getAttribute("action") || location.pathname);
  }

  function saveDraft(form) {
    var out = [];
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "file" || el.type === "submit") return;
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) return;
      out.push([el.name, el.value]);
    });
    try {
      localStorage.setItem(draftKey(form), JSON.stringify({ user: user(), at: Date.now(), fields: out }));
    } catch (e) {
      /* storage full or disabled: the form still works, only without a draft */
    }
    showCount();
  }

  function restoreDraft(form) {
    var saved;
    try {
      saved = JSON.parse(localStorage.getItem(draftKey(form)) || "null");
    } catch (e) {
      saved = null;
    }
    if (!saved || saved.user !== user() || !saved.fields || !saved.fields.length) return;
    // A page sent back with an error already shows what was sent: keep it.
    if (form.querySelector("[role=alert]") || document.querySelector(".error[role=alert]")) return;
    var any = false;
    saved.fields.forEach(function (pair) {
      var els = form.querySelectorAll('[name="' + pair[0].replace(/"/g, "") + '"]');
      Array.prototype.forEach.call(els, function (el) {
        if (el.type === "radio" || el.type === "checkbox") {
          el.checked = el.value === pair[1];
        } else if (el.type !== "hidden" && el.type !== "file") {
          el.value = pair[1];
          if (pair[1]) {
            any = true;
            var d = el.closest("details");
            if (d) d.open = true;
          }
        }
      });
    });
    if (any) status("已恢复上次没有提交的内容，请核对后保存。");
  }

  function clearDraft(key) {
    try {
      localStorage.removeItem(key);
    } catch (e) {
      /* nothing to clear */
    }
    showCount();
  }

  /// The keys of this user's drafts.
  function drafts() {
    var out = [];
    try {
      for (var i = 0; i < localStorage.length; i++) {
        var k = localStorage.key(i);
        if (k && k.indexOf(DRAFT) === 0) {
          var d = JSON.parse(localStorage.getItem(k) || "null");
          if (d && d.user === user()) out.push(k);
        }
      }
    } catch (e) {
      /* no storage: no drafts */
    }
    return out;
  }

  // ------------------------------------------------------------------ outbox

  function db() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("shequ", 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore("outbox", { keyPath: "id", autoIncrement: true });
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var t = d.transaction("outbox", mode);
        var result = work(t.objectStore("outbox"));
        t.oncomplete = function () {
          d.close();
          resolve(result && result.result !== undefined ? result.result : result);
        };
        t.onerror = function () { d.close(); reject(t.error); };
      });
    });
  }

  function queue(entry) {
    return tx("readwrite", function (s) { return s.add(entry); });
  }

  function pending() {
    if (!window.indexedDB) return Promise.resolve([]);
    return tx("readonly", function (s) { return s.getAll(); });
  }

  function mine(list) {
    return (list || []).filter(function (e) { return e.user === user(); });
  }

  function drop(id) {
    return tx("readwrite", function (s) { return s.delete(id); });
  }

  /// The body of a submission, encoded as its form declares. A form without a file input is
  /// urlencoded, as the browser itself would send it; only forms that say so are multipart.
  function body(entries, multipart) {
    var csrf = document.querySelector('input[name="csrf"]');
    var fresh = function (pair) { return pair[0] === "csrf" && csrf ? csrf.value : pair[1]; };
    if (!multipart) {
      var p = new URLSearchParams();
      entries.forEach(function (pair) {
        var v = fresh(pair);
        if (!(v instanceof Blob)) p.append(pair[0], v);
      });
      return p;
    }
    var fd = new FormData();
    entries.forEach(function (pair) {
      var value = fresh(pair);
      if (value instanceof Blob) {
        fd.append(pair[0], value, value.name || "");
      } else {
        fd.append(pair[0], value);
      }
    });
    return fd;
  }

  function isMultipart(form) {
    return (form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data";
  }

  function alertText(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var a = doc.querySelector("[role=alert]");
    return a ? a.textContent.trim() : "";
  }

  /// Shows how many submissions and drafts wait on this phone, wherever a page asks for it.
  function showCount() {
    var els = document.querySelectorAll("[data-outbox-count]");
    if (!els.length) return;
    pending()
      .catch(function () { return []; })
      .then(function (list) {
        var queued = mine(list);
        var sentLater = {};
        queued.forEach(function (e) { sentLater[e.draft] = true; });
        var n = queued.length + drafts().filter(function (k) { return !sentLater[k]; }).length;
        Array.prototype.forEach.call(els, function (el) { el.textContent = String(n); });
      });
  }

  var flushing = false;
  var timer = null;

  function flush() {
    if (flushing || !window.indexedDB) return;
    flushing = true;
    pending()
      .then(function (list) {
        var todo = mine(list);
        if (!todo.length) return;
        return todo.reduce(function (chain, e) {
          return chain.then(function () {
            return fetch(e.url, { method: "POST", body: body(e.entries, e.multipart !== false),
                                  credentials: "same-origin" })
              .then(function (resp) {
                if (resp.status === 502 || resp.status === 504) throw new Error("gateway");
                if (resp.redirected && resp.url.indexOf("/login") !== -1) {
                  status("登录已过期：请重新登录，离线保存的“" + escape(e.title) + "”会自动提交。");
                  return;
                }
                if (resp.redirected) {
                  clearDraft(e.draft);
                  return drop(e.id).then(function () {
                    status("已自动提交“" + escape(e.title) + "”。<a href=\"" + escape(resp.url) + "\">查看</a>");
                  });
                }
                return resp.text().then(function (html) {
                  // Refused (a field to correct): the draft stays, so the form opens filled in.
                  return drop(e.id).then(function () {
                    status("“" + escape(e.title) + "”没有提交成功：" + escape(alertText(html) || ("错误 " + resp.status)) +
                      " <a href=\"" + escape(e.page) + "\">打开表单修改</a>");
                  });
                });
              });
          });
        }, Promise.resolve());
      })
      .catch(function () {
        /* still offline: try again later */
      })
      .then(function () {
        flushing = false;
        showCount();
        return pending();
      })
      .then(function (left) {
        if (mine(left).length && !timer) {
          timer = setInterval(flush, RETRY_MS);
        } else if (!mine(left).length && timer) {
          clearInterval(timer);
          timer = null;
        }
      })
      .catch(function () {
        flushing = false;
      });
  }

  // ------------------------------------------------------------------ refusals

  /// The words a label shows, without the text of the control inside it.
  function labelWords(label) {
    var out = "";
    Array.prototype.forEach.call(label.childNodes, function (n) {
      if (n.nodeType === 3) out += n.textContent;
    });
    return out.trim();
  }

  /// A refused form stays as the user left it (typed text, chosen photos): only the error is
  /// taken from the answer. It is put where the trouble is — before the first field its message
  /// names, else before the form — and scrolled into view.
  function showRefusal(form, html, code) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var sent = doc.querySelector("main [role=alert]") || doc.querySelector("[role=alert]");
    var alert;
    if (sent) {
      alert = document.importNode(sent, true);
    } else {
      alert = document.createElement("p");
      alert.textContent = "没有保存（错误 " + code + "）：请检查后重试。";
    }
    alert.classList.add("error");
    alert.setAttribute("role", "alert");
    alert.setAttribute("tabindex", "-1");
    Array.prototype.forEach.call(document.querySelectorAll(".error[role=alert]"), function (old) {
      old.parentNode.removeChild(old);
    });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) {
      el.removeAttribute("aria-invalid");
    });
    var message = alert.textContent;
    var first = null;
    Array.prototype.forEach.call(form.querySelectorAll("label"), function (label) {
      var words = labelWords(label);
      var control = label.querySelector("input, select, textarea");
      if (!words || !control || control.type === "hidden" || message.indexOf(words) === -1) return;
      control.setAttribute("aria-invalid", "true");
      if (!first) first = label;
    });
    if (first) {
      var d = first.closest("details");
      if (d) d.open = true;
      first.parentNode.insertBefore(alert, first);
    } else {
      form.parentNode.insertBefore(alert, form);
    }
    alert.scrollIntoView({ block: "center" });
    alert.focus({ preventScroll: true });
  }

  // ------------------------------------------------------------------ forms

  function keep(form) {
    restoreDraft(form);
    form.addEventListener("input", function () { saveDraft(form); });
    form.addEventListener("change", function () { saveDraft(form); });
    form.addEventListener("submit", function (ev) {
      if (!window.fetch || !window.FormData) return;
      ev.preventDefault();
      saveDraft(form);
      var button = form.querySelector("[type=submit]");
      if (button) button.disabled = true;
      var url = form.getAttribute("action") || location.pathname;
      var multipart = isMultipart(form);
      var fd = new FormData(form);
      var entries = [];
      fd.forEach(function (value, name) {
        if (value instanceof File && !value.name && !value.size) return;
        entries.push([name, value]);
      });
      fetch(url, { method: "POST", body: body(entries, multipart), credentials: "same-origin" })
        .then(function (resp) {
          // A proxy that can't reach the server: as good as no network, so queue it.
          if (resp.status === 502 || resp.status === 504) throw new Error("gateway");
          if (resp.redirected) {
            if (resp.url.indexOf("/login") === -1) clearDraft(draftKey(form));
            location.href = resp.url;
            return;
          }
          return resp.text().then(function (html) {
            if (resp.ok) {
              document.open();
              document.write(html);
              document.close();
              return;
            }
            if (button) button.disabled = false;
            showRefusal(form, html, resp.status);
          });
        })
        .catch(function () {
          var title = (document.querySelector("h1") || {}).textContent || "表单";
          queue({ user: user(), url: url, page: location.pathname + location.search, draft: draftKey(form),
                  title: title.trim(), entries: entries, multipart: multipart, at: Date.now() })
            .then(function () {
              status("网络已断开：“" + escape(title.trim()) + "”已保存在手机上，联网后自动提交。");
              if (button) button.disabled = false;
              showCount();
              flush();
            })
            .catch(function () {
              if (button) button.disabled = false;
              status("网络已断开，且手机无法暂存：请联网后再点保存，已填的内容仍在表单里。");
            });
        });
    });
  }

  // ------------------------------------------------------------------ offline copies

  /// Everything this phone keeps for the user: the service worker's copies, the outbox, the
  /// drafts. Called when logging out (the server's Clear-Site-Data does the same where the
  /// browser honours it).
  function forgetAll() {
    var work = [];
    if (window.caches) {
      work.push(caches.keys().then(function (keys) {
        return Promise.all(keys.map(function (k) { return caches.delete(k); }));
      }));
    }
    if (window.indexedDB) {
      work.push(tx("readwrite", function (s) { return s.clear(); }).catch(function () {}));
    }
    try {
      for (var i = localStorage.length - 1; i >= 0; i--) {
        var k = localStorage.key(i);
        if (k && k.indexOf(DRAFT) === 0) localStorage.removeItem(k);
      }
    } catch (e) {
      /* no storage */
    }
    return Promise.all(work).catch(function () {});
  }

  function guardLogout(form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      pending()
        .catch(function () { return []; })
        .then(function (list) {
          var n = mine(list).length;
          if (n && !window.confirm("还有 " + n + " 条离线保存的记录没有提交，退出后将从手机上删除。确定退出？")) {
            return false;
          }
          return forgetAll().then(function () { return true; });
        })
        .then(function (go) {
          if (go) form.submit();
        });
    });
  }

  function offline() {
    if (!("serviceWorker" in navigator)) return;
    if (!user()) {
      // The login page: whatever was kept offline belonged to a session that has ended (a
      // resident's 随手拍 page, also without a user, leaves a worker's copies alone).
      if (window.caches && document.querySelector('form[action="/login"]')) {
        caches.keys().then(function (keys) {
          keys.forEach(function (k) { if (k.indexOf("shequ-") === 0) caches.delete(k); });
        });
      }
      return;
    }
    navigator.serviceWorker.register("/sw.js").then(function () {
      return navigator.serviceWorker.ready;
    }).then(function (reg) {
      if (!OFFLINE_ROOT.test(location.pathname) || !reg.active) return;
      navigator.serviceWorker.addEventListener("message", function (ev) {
        if (ev.data && ev.data.type === "kept" && ev.data.url === location.href) {
          document.documentElement.setAttribute("data-offline-ready", String(ev.data.count));
        }
      });
      reg.active.postMessage({ type: "keep", url: location.href });
    }).catch(function () {
      /* no service worker: the forms still save offline once open */
    });
  }

  // "返回上一页" on error pages: the policy forbids javascript: links, so the link names the
  // start page and the script turns it into a step back when there is one.
  function backLinks() {
    Array.prototype.forEach.call(document.querySelectorAll("a[data-back]"), function (a) {
      a.addEventListener("click", function (ev) {
        if (history.length > 1) {
          ev.preventDefault();
          history.back();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    backLinks();
    Array.prototype.forEach.call(document.querySelectorAll("form[data-keep]"), keep);
    Array.prototype.forEach.call(document.querySelectorAll('form[action="/logout"]'), guardLogout);
    window.addEventListener("online", flush);
    window.addEventListener("storage", showCount);
    offline();
    showCount();
    flush();
  });
})();
