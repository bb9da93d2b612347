// Field forms that survive a bad connection (ux.md: workers lose what they typed when the
// signal drops in a stairwell). A form marked data-keep:
//  - keeps a draft of what was typed in localStorage, restored when the form is opened again;
//  - is sent with fetch; when the network is down, the whole submission (photos included) goes
//    into an outbox in IndexedDB and is sent when the network returns, by the same user only.
(function () {
  "use strict";
  var DRAFT = "shequ:draft:";
  var RETRY_MS = 5000;

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
        t.oncomplete = function () { resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { reject(t.error); };
      });
    });
  }

  function queue(entry) {
    return tx("readwrite", function (s) { return s.add(entry); });
  }

  function pending() {
    return tx("readonly", function (s) { return s.getAll(); });
  }

  function drop(id) {
    return tx("readwrite", function (s) { return s.delete(id); });
  }

  function formData(entries) {
    var fd = new FormData();
    var csrf = document.querySelector('input[name="csrf"]');
    entries.forEach(function (pair) {
      var value = pair[0] === "csrf" && csrf ? csrf.value : pair[1];
      if (value instanceof Blob) {
        fd.append(pair[0], value, value.name || "");
      } else {
        fd.append(pair[0], value);
      }
    });
    return fd;
  }

  function alertText(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var a = doc.querySelector("[role=alert]");
    return a ? a.textContent.trim() : "";
  }

  var flushing = false;
  var timer = null;

  function flush() {
    if (flushing || !window.indexedDB) return;
    flushing = true;
    pending()
      .then(function (list) {
        var mine = list.filter(function (e) { return e.user === user(); });
        if (!mine.length) return;
        return mine.reduce(function (chain, e) {
          return chain.then(function () {
            return fetch(e.url, { method: "POST", body: formData(e.entries), credentials: "same-origin" })
              .then(function (resp) {
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
        return pending();
      })
      .then(function (left) {
        var mine = (left || []).filter(function (e) { return e.user === user(); });
        if (mine.length && !timer) {
          timer = setInterval(flush, RETRY_MS);
        } else if (!mine.length && timer) {
          clearInterval(timer);
          timer = null;
        }
      })
      .catch(function () {
        flushing = false;
      });
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
      var fd = new FormData(form);
      var entries = [];
      fd.forEach(function (value, name) {
        if (value instanceof File && !value.name && !value.size) return;
        entries.push([name, value]);
      });
      fetch(url, { method: "POST", body: fd, credentials: "same-origin" })
        .then(function (resp) {
          if (resp.redirected) {
            if (resp.url.indexOf("/login") === -1) clearDraft(draftKey(form));
            location.href = resp.url;
            return;
          }
          return resp.text().then(function (html) {
            document.open();
            document.write(html);
            document.close();
          });
        })
        .catch(function () {
          var title = (document.querySelector("h1") || {}).textContent || "表单";
          queue({ user: user(), url: url, page: location.pathname + location.search, draft: draftKey(form),
                  title: title.trim(), entries: entries, at: Date.now() })
            .then(function () {
              status("网络已断开：“" + escape(title.trim()) + "”已保存在手机上，联网后自动提交。");
              if (button) button.disabled = false;
              flush();
            })
            .catch(function () {
              if (button) button.disabled = false;
              status("网络已断开，且手机无法暂存：请联网后再点保存，已填的内容仍在表单里。");
            });
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-keep]"), keep);
    window.addEventListener("online", flush);
    flush();
  });
})();
