// The service worker: a grid worker who opened a due list online can, without a signal, still
// open that list and every form reachable from it (each due person's visit form, the patrol
// forms, the report form), fill them and queue them (field.js keeps the outbox).
//
// What stays on the phone is only that: the due lists last opened online and the forms linked
// from them, replaced each time a list is opened again (so a person no longer due leaves the
// phone), plus the style sheet and the script. Everything else goes to the network as usual and
// is never stored. Logging out clears it all (Clear-Site-Data and field.js).
"use strict";

var CACHE = "shequ-offline-v1";
var INDEX = "/__shequ_offline_index__";
var STATIC = ["/static/style.css", "/static/field.js", "/static/icon.svg", "/manifest.webmanifest"];
// A due list: kept, with what it links to.
var ROOT = /^\/nodes\/(\d+)\/(visits|patrols)$/;
// The forms a due list reaches.
var FORM = /^\/(persons\/\d+\/visits\/new|nodes\/\d+\/patrols\/new|nodes\/\d+\/tickets\/new)$/;
// A list kept within this many milliseconds is not fetched again when the page asks.
var FRESH_MS = 15000;
// A form kept within this many milliseconds is not fetched again when its list is: a long due
// list opened many times a day costs the phone's data plan one round of forms, not one each time.
var FORM_FRESH_MS = 10 * 60 * 1000;

self.addEventListener("install", function (ev) {
  ev.waitUntil(
    caches.open(CACHE)
      .then(function (c) { return c.addAll(STATIC); })
      .catch(function () { /* offline at install: kept on the next page */ })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (ev) {
  ev.waitUntil(
    caches.keys()
      .then(function (keys) {
        return Promise.all(keys.filter(function (k) { return k !== CACHE; })
          .map(function (k) { return caches.delete(k); }));
      })
      .then(function () { return self.clients.claim(); })
  );
});

function pathOf(url) {
  return new URL(url).pathname;
}

function stamp() {
  var d = new Date();
  var two = function (n) { return (n < 10 ? "0" : "") + n; };
  return (d.getMonth() + 1) + "月" + d.getDate() + "日 " + two(d.getHours()) + ":" + two(d.getMinutes());
}

/// A page as kept: its HTML with a note saying it is the copy from the last time online (the
/// copy is only ever shown without a network).
function keptPage(html) {
  var note = '<p class="flash" role="status" id="offline-note">没有网络：这是 ' + stamp() +
    " 联网时保存的页面。填写后点保存，记录先存在手机上，联网后自动提交。</p>";
  var body = html.replace(/<main>/, "<main>" + note);
  return new Response(body, {
    headers: { "content-type": "text/html; charset=utf-8", "x-shequ-kept-at": String(Date.now()) },
  });
}

function readIndex(cache) {
  return cache.match(INDEX).then(function (r) {
    return r ? r.json() : {};
  }).catch(function () { return {}; });
}

function writeIndex(cache, index) {
  return cache.put(INDEX, new Response(JSON.stringify(index), {
    headers: { "content-type": "application/json" },
  }));
}

/// The same-origin links of a page that a kept list reaches: its forms, and the other due list
/// of the same node together with the node's report form.
function reachable(url, html) {
  var out = {};
  var re = /href="([^"]+)"/g;
  var m;
  while ((m = re.exec(html))) {
    var href = m[1].replace(/&amp;/g, "&");
    var u;
    try {
      u = new URL(href, url);
    } catch (e) {
      continue;
    }
    if (u.origin === self.location.origin && FORM.test(u.pathname)) out[u.href] = true;
  }
  var root = ROOT.exec(pathOf(url));
  if (root) {
    var origin = self.location.origin;
    out[origin + "/nodes/" + root[1] + "/tickets/new"] = true;
    out[origin + "/nodes/" + root[1] + (root[2] === "visits" ? "/patrols" : "/visits")] = true;
  }
  return Object.keys(out);
}

/// Fetches a page with the session; only a page really served (not a redirect to the login
/// page, not an error) counts.
function fetchPage(url) {
  return fetch(url, { credentials: "same-origin", redirect: "follow" }).then(function (r) {
    if (!r.ok || r.redirected || (r.headers.get("content-type") || "").indexOf("text/html") !== 0) {
      return null;
    }
    return r.text();
  });
}

var keeping = {};

/// Keeps the list at `url` (its HTML given, or fetched) and everything it reaches; drops what
/// no kept list reaches any more. Resolves to the number of pages kept for this list.
function keepList(url, html) {
  var running = keeping[url];
  if (running && Date.now() - running.at < FRESH_MS) return running.done;
  var done = (html ? Promise.resolve(html) : fetchPage(url)).then(function (text) {
    if (text === null) return 0;
    return caches.open(CACHE).then(function (cache) {
      var kept = [url];
      var put = function (u, t) {
        return cache.put(u, keptPage(t)).then(function () { kept.push(u); });
      };
      var take = function (u) {
        return cache.match(u).then(function (hit) {
          var at = hit ? Number(hit.headers.get("x-shequ-kept-at")) : 0;
          if (hit && !ROOT.test(pathOf(u)) && Date.now() - at < FORM_FRESH_MS) {
            kept.push(u);
            return hit.text();
          }
          return fetchPage(u).then(function (t) {
            if (t === null) return null;
            return put(u, t).then(function () { return t; });
          });
        }).catch(function () { return null; });
      };
      return cache.put(url, keptPage(text))
        .then(function () {
          return Promise.all(reachable(url, text).map(function (u) {
            return take(u).then(function (t) {
              // The other due list of the node: its forms too (one level, no further).
              if (t === null || !ROOT.test(pathOf(u))) return;
              return Promise.all(reachable(u, t).filter(function (f) {
                return FORM.test(pathOf(f)) && kept.indexOf(f) === -1;
              }).map(take));
            });
          }));
        })
        .then(function () { return readIndex(cache); })
        .then(function (index) {
          index[url] = kept;
          var wanted = {};
          Object.keys(index).forEach(function (root) {
            index[root].forEach(function (u) { wanted[u] = true; });
          });
          return writeIndex(cache, index).then(function () { return cache.keys(); }).then(function (keys) {
            return Promise.all(keys.map(function (req) {
              var p = pathOf(req.url);
              if (p === INDEX || STATIC.indexOf(p) !== -1 || wanted[req.url]) return null;
              return cache.delete(req);
            }));
          });
        })
        .then(function () { return kept.length; });
    });
  }).catch(function () { return 0; });
  keeping[url] = { at: Date.now(), done: done };
  return done;
}

/// A page asked for without a network: its kept copy, or a page saying it was not kept.
function withoutNetwork(req) {
  return caches.open(CACHE).then(function (cache) {
    return cache.match(req.url).then(function (hit) {
      if (hit) return hit;
      return readIndex(cache).then(function (index) {
        var links = Object.keys(index).map(function (u) {
          var p = pathOf(u);
          var name = /\/visits$/.test(p) ? "走访名单" : "巡查名单";
          return '<li><a href="' + p + '">' + name + "</a></li>";
        }).join("");
        var html = '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">' +
          '<meta name="viewport" content="width=device-width, initial-scale=1">' +
          '<title>没有网络 · 社区工作台</title><link rel="stylesheet" href="/static/style.css"></head>' +
          '<body><main><section class="card"><h1>没有网络</h1><p class="error" role="alert">' +
          "这个页面没有保存在手机上，联网后才能打开。</p>" +
          (links ? "<p>没有网络时可以打开：</p><ul class=\"list\">" + links + "</ul>" : "") +
          "</section></main></body></html>";
        return new Response(html, {
          status: 503,
          headers: { "content-type": "text/html; charset=utf-8" },
        });
      });
    });
  });
}

self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (STATIC.indexOf(url.pathname) !== -1) {
    ev.respondWith(
      fetch(req).then(function (r) {
        if (r.ok) {
          var copy = r.clone();
          caches.open(CACHE).then(function (c) { return c.put(url.pathname, copy); });
        }
        return r;
      }).catch(function () {
        return caches.match(url.pathname).then(function (hit) { return hit || Response.error(); });
      })
    );
    return;
  }
  if (req.mode !== "navigate") return;
  ev.respondWith(
    fetch(req).then(function (r) {
      if (ROOT.test(url.pathname) && r.ok && r.type === "basic") {
        var copy = r.clone();
        ev.waitUntil(copy.text().then(function (t) { return keepList(req.url, t); }));
      }
      return r;
    }).catch(function () {
      return withoutNetwork(req);
    })
  );
});

self.addEventListener("message", function (ev) {
  var data = ev.data || {};
  if (data.type !== "keep" || typeof data.url !== "string") return;
  var url;
  try {
    url = new URL(data.url);
  } catch (e) {
    return;
  }
  if (url.origin !== self.location.origin || !ROOT.test(url.pathname)) return;
  ev.waitUntil(keepList(url.href).then(function (count) {
    if (ev.source) ev.source.postMessage({ type: "kept", url: url.href, count: count });
  }));
});
