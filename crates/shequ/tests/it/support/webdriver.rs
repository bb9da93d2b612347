//! A minimal W3C WebDriver client for the integration tests.
//!
//! Drives a headless Chromium through `chromedriver`, both found from the
//! environment (`CHROMEDRIVER`, default `/usr/bin/chromedriver`; `CHROMIUM`,
//! default `/usr/bin/chromium`). `scripts/test` installs and exports both.
//!
//! ```ignore
//! let browser = Browser::start()?;
//! browser.goto(&format!("{base}/login"))?;
//! browser.find("input[name=username]")?.send_keys("admin")?;
//! browser.find("button[type=submit]")?.click()?;
//! browser.wait_until_text_contains("h1", "工作台", Duration::from_secs(5))?;
//! ```
//!
//! Every `Browser` owns its own chromedriver process and browser profile
//! (a fresh temp dir), so tests can run in parallel. Everything is torn
//! down when the `Browser` is dropped.
#![allow(dead_code)]

use std::fs;
use std::io::Read;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// W3C key of a web element reference in JSON.
const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

/// Default window size: a phone (iPhone X-ish), the UI is mobile first.
pub const DEFAULT_WIDTH: u32 = 375;
pub const DEFAULT_HEIGHT: u32 = 812;

/// Chromium will not make a window narrower than this; smaller sizes are
/// emulated with chromedriver's `mobileEmulation`.
const MIN_WINDOW_WIDTH: u32 = 500;

/// How often `wait_*` methods poll.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// A headless Chromium session driven through its own chromedriver.
pub struct Browser {
    agent: ureq::Agent,
    /// `http://127.0.0.1:PORT/session/ID`
    session_url: String,
    driver_url: String,
    session_id: String,
    driver: Option<Child>,
    temp_dir: PathBuf,
}

/// A reference to an element found by a CSS selector.
pub struct Element<'a> {
    browser: &'a Browser,
    id: String,
    css: String,
}

impl std::fmt::Debug for Element<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Element({:?})", self.css)
    }
}

impl std::fmt::Debug for Browser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Browser({})", self.session_url)
    }
}

impl Browser {
    /// Start chromedriver + headless Chromium with a phone-sized viewport
    /// (375×812 CSS px, device pixel ratio 1, touch, mobile viewport rules).
    pub fn start() -> Result<Browser, String> {
        Self::start_with_size(DEFAULT_WIDTH, DEFAULT_HEIGHT)
    }

    /// Start chromedriver + headless Chromium with the given window size.
    /// Widths below 500 px (Chromium's minimum window width) are emulated as
    /// a phone viewport of exactly that size (see `start`).
    pub fn start_with_size(width: u32, height: u32) -> Result<Browser, String> {
        let chromedriver =
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
        if !Path::new(&chromedriver).exists() {
            return Err(format!(
                "chromedriver not found at {chromedriver} (set CHROMEDRIVER, or run scripts/test which installs it)"
            ));
        }
        if !Path::new(&chromium).exists() {
            return Err(format!(
                "chromium not found at {chromium} (set CHROMIUM, or run scripts/test which installs it)"
            ));
        }

        let temp_dir = make_temp_dir()?;
        let profile_dir = temp_dir.join("profile");
        fs::create_dir_all(&profile_dir)
            .map_err(|e| format!("create {}: {e}", profile_dir.display()))?;
        let log_path = temp_dir.join("chromedriver.log");

        let agent: ureq::Agent = ureq::Agent::config_builder()
            // WebDriver reports errors as 4xx/5xx with a JSON body we want to read.
            .http_status_as_error(false)
            // Only ever talks to loopback; never go through an env proxy.
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(120)))
            .build()
            .into();

        // The port is picked by binding :0 and releasing it; another process
        // could grab it in between, so retry a few times.
        let mut last_err = String::new();
        for _attempt in 0..3 {
            let port = free_port()?;
            let mut child = Command::new(&chromedriver)
                .arg(format!("--port={port}"))
                .arg(format!("--log-path={}", log_path.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| format!("spawn {chromedriver}: {e}"))?;
            let driver_url = format!("http://127.0.0.1:{port}");
            match wait_driver_ready(&agent, &driver_url, &mut child, Duration::from_secs(30)) {
                Ok(()) => {
                    let mut browser = Browser {
                        agent,
                        session_url: String::new(),
                        driver_url,
                        session_id: String::new(),
                        driver: Some(child),
                        temp_dir,
                    };
                    // On error, `browser` is dropped: chromedriver killed,
                    // temp dir removed.
                    browser.new_session(&chromium, &profile_dir, width, height, &log_path)?;
                    return Ok(browser);
                }
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    last_err = e;
                }
            }
        }
        let log = log_tail(&log_path);
        let _ = fs::remove_dir_all(&temp_dir);
        Err(format!(
            "chromedriver did not become ready: {last_err}{log}"
        ))
    }

    fn new_session(
        &mut self,
        chromium: &str,
        profile_dir: &Path,
        width: u32,
        height: u32,
        log_path: &Path,
    ) -> Result<(), String> {
        let mut chrome_options = json!({
            "binary": chromium,
            "args": [
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-background-networking",
                "--disable-quic",
                "--no-first-run",
                "--disable-component-update",
                "--disable-sync",
                "--no-proxy-server",
                "--lang=zh-CN",
                format!("--user-data-dir={}", profile_dir.display()),
                format!("--window-size={width},{height}"),
            ],
        });
        if width < MIN_WINDOW_WIDTH {
            // Chromium's windows (headless too) are at least 500 px wide, so
            // emulate a phone viewport instead: exact CSS size, honours
            // <meta name="viewport">, touch input, device pixel ratio 1.
            chrome_options["mobileEmulation"] = json!({
                "deviceMetrics": { "width": width, "height": height, "pixelRatio": 1.0 },
            });
        }
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "browserName": "chrome",
                    "goog:chromeOptions": chrome_options,
                },
            },
        });
        let url = format!("{}/session", self.driver_url);
        let value = request(&self.agent, "POST", &url, Some(&caps))
            .map_err(|e| format!("create session: {e}{}", log_tail(log_path)))?;
        let id = value
            .get("sessionId")
            .and_then(Value::as_str)
            .ok_or_else(|| format!("create session: no sessionId in response: {value}"))?;
        self.session_id = id.to_owned();
        self.session_url = format!("{}/session/{id}", self.driver_url);
        Ok(())
    }

    // ------------------------------------------------------------ low level

    fn cmd(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let url = format!("{}{path}", self.session_url);
        request(&self.agent, method, &url, body)
    }

    fn get(&self, path: &str) -> Result<Value, String> {
        self.cmd("GET", path, None)
    }

    fn post(&self, path: &str, body: Value) -> Result<Value, String> {
        self.cmd("POST", path, Some(&body))
    }

    /// Cut (true) or restore (false) the page's network, as a stairwell would: Chromium's
    /// network emulation, through chromedriver.
    pub fn set_offline(&self, offline: bool) -> Result<(), String> {
        self.post(
            "/chromium/network_conditions",
            json!({ "network_conditions": {
                "offline": offline,
                "latency": 0,
                "download_throughput": 100_000_000,
                "upload_throughput": 100_000_000,
            }}),
        )
        .map(|_| ())
        .map_err(|e| format!("network conditions (offline: {offline}): {e}"))
    }

    // ----------------------------------------------------------- navigation

    /// Navigate to `url` and wait for the page load (WebDriver default).
    pub fn goto(&self, url: &str) -> Result<(), String> {
        self.post("/url", json!({ "url": url }))
            .map(|_| ())
            .map_err(|e| format!("goto {url}: {e}"))
    }

    pub fn current_url(&self) -> Result<String, String> {
        let v = self.get("/url").map_err(|e| format!("current_url: {e}"))?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("current_url: not a string: {v}"))
    }

    pub fn title(&self) -> Result<String, String> {
        let v = self.get("/title").map_err(|e| format!("title: {e}"))?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    pub fn back(&self) -> Result<(), String> {
        self.post("/back", json!({}))
            .map(|_| ())
            .map_err(|e| format!("back: {e}"))
    }

    pub fn refresh(&self) -> Result<(), String> {
        self.post("/refresh", json!({}))
            .map(|_| ())
            .map_err(|e| format!("refresh: {e}"))
    }

    pub fn page_source(&self) -> Result<String, String> {
        let v = self
            .get("/source")
            .map_err(|e| format!("page_source: {e}"))?;
        v.as_str()
            .map(str::to_owned)
            .ok_or_else(|| format!("page_source: not a string: {v}"))
    }

    // ------------------------------------------------------------- elements

    /// The first element matching `css`; Err if there is none.
    pub fn find(&self, css: &str) -> Result<Element<'_>, String> {
        let v = self
            .post("/element", json!({ "using": "css selector", "value": css }))
            .map_err(|e| format!("find {css:?}: {e}"))?;
        self.element_from(&v, css)
    }

    /// All elements matching `css` (possibly none).
    pub fn find_all(&self, css: &str) -> Result<Vec<Element<'_>>, String> {
        let v = self
            .post(
                "/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .map_err(|e| format!("find_all {css:?}: {e}"))?;
        let items = v
            .as_array()
            .ok_or_else(|| format!("find_all {css:?}: not an array: {v}"))?;
        items
            .iter()
            .map(|item| self.element_from(item, css))
            .collect()
    }

    fn element_from(&self, v: &Value, css: &str) -> Result<Element<'_>, String> {
        let id = v
            .get(ELEMENT_KEY)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("find {css:?}: not an element reference: {v}"))?;
        Ok(Element {
            browser: self,
            id: id.to_owned(),
            css: css.to_owned(),
        })
    }

    /// Poll (every 100 ms) until an element matching `css` exists.
    pub fn wait_for(&self, css: &str, timeout: Duration) -> Result<Element<'_>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.find(css) {
                Ok(el) => return Ok(el),
                Err(e) => {
                    if Instant::now() >= deadline {
                        return Err(format!(
                            "wait_for {css:?}: timed out after {timeout:?}: {e}"
                        ));
                    }
                }
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Poll (every 100 ms) until an element matching `css` exists and its
    /// visible text contains `text`. Returns that element.
    pub fn wait_until_text_contains(
        &self,
        css: &str,
        text: &str,
        timeout: Duration,
    ) -> Result<Element<'_>, String> {
        let deadline = Instant::now() + timeout;
        loop {
            let last = match self.find(css) {
                Ok(el) => match el.text() {
                    Ok(t) if t.contains(text) => return Ok(el),
                    Ok(t) => format!("text is {t:?}"),
                    Err(e) => e,
                },
                Err(e) => e,
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "wait_until_text_contains {css:?} {text:?}: timed out after {timeout:?}; last: {last}"
                ));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    /// Poll (every 100 ms) until no element matches `css`.
    pub fn wait_until_gone(&self, css: &str, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        loop {
            let n = self.find_all(css)?.len();
            if n == 0 {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "wait_until_gone {css:?}: still {n} element(s) after {timeout:?}"
                ));
            }
            thread::sleep(POLL_INTERVAL);
        }
    }

    // --------------------------------------------------------------- script

    /// Run synchronous JavaScript (`return ...;` to get a value back).
    /// `arguments[i]` are `args[i]`.
    pub fn execute(&self, script: &str, args: Vec<Value>) -> Result<Value, String> {
        self.post("/execute/sync", json!({ "script": script, "args": args }))
            .map_err(|e| format!("execute {:?}: {e}", abbreviate(script, 80)))
    }

    // ----------------------------------------------------------- screenshot

    /// Take a screenshot of the viewport and write it as PNG to `path`
    /// (parent directories are created).
    pub fn screenshot_png(&self, path: impl AsRef<Path>) -> Result<(), String> {
        let path = path.as_ref();
        let v = self
            .get("/screenshot")
            .map_err(|e| format!("screenshot: {e}"))?;
        let b64 = v.as_str().ok_or_else(|| {
            format!(
                "screenshot: not a string: {}",
                abbreviate(&v.to_string(), 80)
            )
        })?;
        let png = base64_decode(b64).map_err(|e| format!("screenshot: {e}"))?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(parent).map_err(|e| format!("create {}: {e}", parent.display()))?;
        }
        fs::write(path, png).map_err(|e| format!("write {}: {e}", path.display()))
    }

    // ---------------------------------------------------------------- forms

    /// The form `#id` of the page, for a test that fills and submits it as a person would.
    /// Naming a form here is how `tests/forms_covered.rs` knows the form has its browser test,
    /// so this refuses to hand out a form on anything but a phone-sized (375 px) viewport.
    pub fn form(&self, id: &str) -> Result<Element<'_>, String> {
        let width = self.execute("return window.innerWidth;", vec![])?;
        if width.as_i64() != Some(i64::from(DEFAULT_WIDTH)) {
            return Err(format!(
                "form #{id}: the page is {width} px wide; forms are tested on a {DEFAULT_WIDTH} px phone"
            ));
        }
        let form = self.find(&format!("form#{id}"))?;
        self.execute(
            "arguments[0].scrollIntoView({block: 'start'});",
            vec![form.as_arg()],
        )?;
        Ok(form)
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session_id.is_empty() {
            let _ = request(&self.agent, "DELETE", &self.session_url, None);
        }
        if let Some(mut child) = self.driver.take() {
            // Ask chromedriver to quit (closes any remaining browsers), then
            // make sure it is gone.
            let _ = request(
                &self.agent,
                "GET",
                &format!("{}/shutdown", self.driver_url),
                None,
            );
            let deadline = Instant::now() + Duration::from_secs(3);
            loop {
                match child.try_wait() {
                    Ok(Some(_)) => break,
                    Ok(None) if Instant::now() < deadline => {
                        thread::sleep(Duration::from_millis(50))
                    }
                    _ => {
                        let _ = child.kill();
                        let _ = child.wait();
                        break;
                    }
                }
            }
        }
        let _ = fs::remove_dir_all(&self.temp_dir);
    }
}

impl Element<'_> {
    /// The CSS selector this element was found with.
    pub fn selector(&self) -> &str {
        &self.css
    }

    fn path(&self, tail: &str) -> String {
        format!("/element/{}{tail}", self.id)
    }

    fn ctx(&self, what: &str, e: String) -> String {
        format!("{what} on {:?}: {e}", self.css)
    }

    pub fn click(&self) -> Result<(), String> {
        self.browser
            .post(&self.path("/click"), json!({}))
            .map(|_| ())
            .map_err(|e| self.ctx("click", e))
    }

    pub fn clear(&self) -> Result<(), String> {
        self.browser
            .post(&self.path("/clear"), json!({}))
            .map(|_| ())
            .map_err(|e| self.ctx("clear", e))
    }

    /// Type `text` into the element (appends to what is there; `clear()` first
    /// to replace). Special keys use WebDriver code points, e.g. "\u{E007}"
    /// for Enter.
    pub fn send_keys(&self, text: &str) -> Result<(), String> {
        self.browser
            .post(&self.path("/value"), json!({ "text": text }))
            .map(|_| ())
            .map_err(|e| self.ctx("send_keys", e))
    }

    /// Rendered (visible) text.
    pub fn text(&self) -> Result<String, String> {
        let v = self
            .browser
            .get(&self.path("/text"))
            .map_err(|e| self.ctx("text", e))?;
        Ok(v.as_str().unwrap_or_default().to_owned())
    }

    /// HTML attribute `name`, `None` if absent.
    pub fn attr(&self, name: &str) -> Result<Option<String>, String> {
        let v = self
            .browser
            .get(&self.path(&format!("/attribute/{}", percent_encode(name))))
            .map_err(|e| self.ctx(&format!("attr {name:?}"), e))?;
        Ok(value_to_opt_string(v))
    }

    /// DOM property `name`, `None` if null/undefined.
    pub fn property(&self, name: &str) -> Result<Option<String>, String> {
        let v = self
            .browser
            .get(&self.path(&format!("/property/{}", percent_encode(name))))
            .map_err(|e| self.ctx(&format!("property {name:?}"), e))?;
        Ok(value_to_opt_string(v))
    }

    /// Current `value` property (what is in an input now, not the attribute).
    pub fn value(&self) -> Result<String, String> {
        Ok(self.property("value")?.unwrap_or_default())
    }

    pub fn is_displayed(&self) -> Result<bool, String> {
        let v = self
            .browser
            .get(&self.path("/displayed"))
            .map_err(|e| self.ctx("is_displayed", e))?;
        v.as_bool()
            .ok_or_else(|| self.ctx("is_displayed", format!("not a bool: {v}")))
    }

    pub fn is_enabled(&self) -> Result<bool, String> {
        let v = self
            .browser
            .get(&self.path("/enabled"))
            .map_err(|e| self.ctx("is_enabled", e))?;
        v.as_bool()
            .ok_or_else(|| self.ctx("is_enabled", format!("not a bool: {v}")))
    }

    /// First descendant matching `css`.
    pub fn find(&self, css: &str) -> Result<Element<'_>, String> {
        let v = self
            .browser
            .post(
                &self.path("/element"),
                json!({ "using": "css selector", "value": css }),
            )
            .map_err(|e| format!("find {css:?} inside {:?}: {e}", self.css))?;
        self.browser.element_from(&v, css)
    }

    /// The JSON reference to pass this element as an `execute` argument.
    pub fn as_arg(&self) -> Value {
        json!({ ELEMENT_KEY: self.id })
    }
}

// ------------------------------------------------------------------ helpers

/// One WebDriver HTTP round trip. Returns the response's `value`, or an Err
/// with the WebDriver `error: message` (or HTTP status and body).
fn request(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<&Value>,
) -> Result<Value, String> {
    let result = match (method, body) {
        ("GET", _) => agent.get(url).call(),
        ("DELETE", _) => agent.delete(url).call(),
        ("POST", Some(b)) => agent.post(url).send_json(b),
        ("POST", None) => agent.post(url).send_json(json!({})),
        _ => return Err(format!("unsupported method {method}")),
    };
    let mut resp = result.map_err(|e| format!("{method} {url}: {e}"))?;
    let status = resp.status().as_u16();
    let text = resp
        .body_mut()
        .with_config()
        .limit(256 * 1024 * 1024)
        .read_to_string()
        .map_err(|e| format!("{method} {url}: reading response: {e}"))?;
    let json: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(_) => {
            return Err(format!(
                "{method} {url}: HTTP {status}, non-JSON response: {}",
                abbreviate(&text, 300)
            ));
        }
    };
    let value = json.get("value").cloned().unwrap_or(Value::Null);
    if let Some(error) = value.get("error").and_then(Value::as_str) {
        let message = value.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(format!("{error}: {}", abbreviate(message.trim(), 500)));
    }
    if !(200..300).contains(&status) {
        return Err(format!(
            "{method} {url}: HTTP {status}: {}",
            abbreviate(&text, 300)
        ));
    }
    Ok(value)
}

fn wait_driver_ready(
    agent: &ureq::Agent,
    driver_url: &str,
    child: &mut Child,
    timeout: Duration,
) -> Result<(), String> {
    let deadline = Instant::now() + timeout;
    let addr: SocketAddr = driver_url
        .trim_start_matches("http://")
        .parse()
        .map_err(|e| format!("bad driver url {driver_url}: {e}"))?;
    let mut last = String::from("not started");
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("chromedriver exited early with {status}"));
        }
        // Cheap TCP probe first, then the real /status.
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            match request(agent, "GET", &format!("{driver_url}/status"), None) {
                Ok(v) if v.get("ready").and_then(Value::as_bool) == Some(true) => return Ok(()),
                Ok(v) => last = format!("/status: {v}"),
                Err(e) => last = e,
            }
        }
        if Instant::now() >= deadline {
            return Err(format!("timed out after {timeout:?}: {last}"));
        }
        thread::sleep(POLL_INTERVAL);
    }
}

fn free_port() -> Result<u16, String> {
    let listener =
        TcpListener::bind("127.0.0.1:0").map_err(|e| format!("bind 127.0.0.1:0: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("local_addr: {e}"))
}

fn make_temp_dir() -> Result<PathBuf, String> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for _ in 0..100 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "shequ-webdriver-{}-{n}-{nanos:x}",
            std::process::id()
        ));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("create {}: {e}", dir.display())),
        }
    }
    Err("could not create a temp dir".to_owned())
}

fn log_tail(path: &Path) -> String {
    let mut s = String::new();
    if let Ok(mut f) = fs::File::open(path) {
        let _ = f.read_to_string(&mut s);
    }
    if s.is_empty() {
        return String::new();
    }
    let lines: Vec<&str> = s.lines().collect();
    let start = lines.len().saturating_sub(20);
    format!(
        "\n--- chromedriver log (tail) ---\n{}",
        lines[start..].join("\n")
    )
}

fn value_to_opt_string(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

fn abbreviate(s: &str, max_chars: usize) -> String {
    if s.chars().count() <= max_chars {
        s.to_owned()
    } else {
        let mut out: String = s.chars().take(max_chars).collect();
        out.push('…');
        out
    }
}

fn percent_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Standard base64 (RFC 4648, `+/`, optional `=` padding, whitespace ignored).
pub fn base64_decode(input: &str) -> Result<Vec<u8>, String> {
    fn sextet(c: u8) -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' | b'-' => Some(62),
            b'/' | b'_' => Some(63),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut padding = false;
    for (i, c) in input.bytes().enumerate() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            padding = true;
            continue;
        }
        if padding {
            return Err(format!("base64: data after padding at byte {i}"));
        }
        let v = sextet(c).ok_or_else(|| format!("base64: invalid byte {c:#04x} at {i}"))?;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    if bits >= 6 {
        return Err("base64: truncated input".to_owned());
    }
    Ok(out)
}
