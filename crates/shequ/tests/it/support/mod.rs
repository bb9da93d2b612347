//! Test harness: a fresh database per test (SQLite file or PostgreSQL database, chosen by
//! SHEQU_TEST_BACKEND), the real `shequ` binary started on a free port, and HTTP clients that
//! talk to it as a browser or an API client would. A missing PostgreSQL fails the test: the
//! test command (scripts/test) always provides one.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod pdf_layout;
pub mod phone;
pub mod registry;
pub mod webdriver;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

pub const PASSWORD: &str = "Test-pass-2026";

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn unique() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst),
        nanos
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn backend() -> Backend {
    match std::env::var("SHEQU_TEST_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        Ok("sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("SHEQU_TEST_BACKEND={other}: use sqlite or postgres"),
    }
}

pub struct TestDb {
    pub url: String,
    dir: Option<PathBuf>,
    pg: Option<(String, String)>,
}

impl TestDb {
    pub fn new() -> TestDb {
        match backend() {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(format!("shequ-test-{}", unique()));
                std::fs::create_dir_all(&dir).unwrap();
                TestDb {
                    url: format!("sqlite://{}/shequ.db", dir.display()),
                    dir: Some(dir),
                    pg: None,
                }
            }
            Backend::Postgres => {
                let admin = std::env::var("SHEQU_TEST_PG").expect(
                    "SHEQU_TEST_BACKEND=postgres needs SHEQU_TEST_PG (a server URL); run the tests with scripts/test",
                );
                let name = format!("shequ_t_{}", unique());
                let mut c = postgres::Client::connect(&admin, postgres::NoTls).unwrap();
                c.batch_execute(&format!(
                    "CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8'"
                ))
                .unwrap();
                let base = admin.rsplit_once('/').unwrap().0;
                TestDb {
                    url: format!("{base}/{name}"),
                    dir: None,
                    pg: Some((admin, name)),
                }
            }
        }
    }

    /// The SQLite file of this database (SQLite backend only).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("shequ.db"))
    }

    /// Where the binary keeps this database's key file by default.
    pub fn key_file(&self) -> PathBuf {
        match (&self.dir, &self.pg) {
            (Some(d), _) => d.join("shequ.db.key"),
            (None, Some((_, name))) => std::env::temp_dir().join(format!("shequ-{name}.key")),
            (None, None) => unreachable!("a test database is SQLite or PostgreSQL"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = &self.pg
            && let Ok(mut c) = postgres::Client::connect(admin, postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            let _ = std::fs::remove_file(std::env::temp_dir().join(format!("shequ-{name}.key")));
            let _ = std::fs::remove_file(std::env::temp_dir().join(format!("shequ-{name}.anchor")));
        }
    }
}

impl TestDb {
    /// Runs SQL with the stock command-line client (sqlite3 or psql), as someone with direct
    /// access to the database would; returns (success, output).
    pub fn sql(&self, statements: &str) -> (bool, String) {
        let out = match &self.dir {
            Some(_) => Command::new("sqlite3")
                .arg(self.sqlite_file().unwrap())
                .arg(statements)
                .output(),
            None => Command::new("psql")
                .args([
                    self.url.as_str(),
                    "-X",
                    "-q",
                    "-t",
                    "-A",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-c",
                    statements,
                ])
                .output(),
        }
        .expect("sqlite3 / psql must be installed (scripts/test installs them)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.success(), text)
    }
}

/// The binary, run from the temporary directory: a PostgreSQL database's key file is created
/// in the working directory, and must not land in the source tree.
pub fn shequ() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_shequ"));
    c.current_dir(std::env::temp_dir());
    c
}

/// Runs `shequ` to completion; returns (success, stdout, stderr).
pub fn run(args: &[&str]) -> (bool, String, String) {
    let out = shequ()
        .args(args)
        .env("SHEQU_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

pub struct Server {
    pub base: String,
    child: Child,
    pub db: TestDb,
}

impl Server {
    /// A database filled with `people` demo residents and the demo logins (password PASSWORD),
    /// served by the real binary.
    pub fn start(people: usize) -> Server {
        Server::start_with(people, &[])
    }

    /// `start` with extra `serve` options (e.g. `--public-url`).
    pub fn start_with(people: usize, extra: &[&str]) -> Server {
        let db = TestDb::new();
        let (ok, out, err) = run(&[
            "demo",
            "--db",
            &db.url,
            "--people",
            &people.to_string(),
            "--password",
            PASSWORD,
        ]);
        assert!(ok, "demo failed: {out}\n{err}");
        Server::serve_with(db, extra)
    }

    pub fn serve(db: TestDb) -> Server {
        Server::serve_logging(db, None)
    }

    /// Serves again on the address a stopped server had (`base`), as a server coming back
    /// would: pages a browser kept still point at it.
    pub fn serve_again(db: TestDb, base: &str) -> Server {
        let listen = base.trim_start_matches("http://").to_string();
        let mut child = shequ()
            .args(["serve", "--db", &db.url, "--listen", &listen])
            .env("SHEQU_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        loop {
            let line = lines
                .next()
                .expect("server exited before printing its address")
                .unwrap();
            if line.contains("http://") {
                break;
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Server {
            base: base.to_string(),
            child,
            db,
        }
    }

    /// Serves with extra `serve` options (e.g. `--public-url`).
    pub fn serve_with(db: TestDb, extra: &[&str]) -> Server {
        Server::serve_full(db, None, extra)
    }

    /// Serves with the most talkative log level, its stderr written to `log` (to check that
    /// nothing sensitive reaches the logs).
    pub fn serve_logging(db: TestDb, log: Option<&std::path::Path>) -> Server {
        Server::serve_full(db, log, &[])
    }

    fn serve_full(db: TestDb, log: Option<&std::path::Path>, extra: &[&str]) -> Server {
        let mut cmd = shequ();
        cmd.args(["serve", "--db", &db.url, "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped());
        match log {
            Some(path) => {
                cmd.env("SHEQU_LOG", "trace")
                    .stderr(std::fs::File::create(path).unwrap());
            }
            None => {
                cmd.env("SHEQU_LOG", "warn");
            }
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let base = loop {
            let line = lines
                .next()
                .expect("server exited before printing its address")
                .unwrap();
            if let Some(rest) = line.split("http://").nth(1) {
                break format!("http://{}", rest.split('/').next().unwrap());
            }
        };
        std::thread::spawn(move || for _ in lines {});
        DATABASES
            .lock()
            .unwrap()
            .insert(base.clone(), db.url.clone());
        Server { base, child, db }
    }

    /// Stops the server, keeping its database.
    pub fn stop(mut self) -> TestDb {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::mem::replace(
            &mut self.db,
            TestDb {
                url: String::new(),
                dir: None,
                pg: None,
            },
        )
    }

    pub fn api(&self, username: &str) -> Api {
        let mut api = Api::anonymous(&self.base);
        let (status, body) = api.post(
            "/api/v1/session",
            json!({"username": username, "password": PASSWORD}),
        );
        assert_eq!(status, 200, "login {username}: {body}");
        api.token = Some(body["token"].as_str().unwrap().to_string());
        api
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

/// A JSON API client with a bearer token.
pub struct Api {
    base: String,
    agent: ureq::Agent,
    pub token: Option<String>,
}

impl Api {
    pub fn anonymous(base: &str) -> Api {
        Api {
            base: base.to_string(),
            agent: agent(),
            token: None,
        }
    }

    fn finish(resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> (u16, Value) {
        let mut resp = resp.unwrap();
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    fn auth(&self) -> String {
        self.token
            .as_ref()
            .map(|t| format!("Bearer {t}"))
            .unwrap_or_default()
    }

    pub fn get(&self, path: &str) -> (u16, Value) {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if self.token.is_some() {
            req = req.header("Authorization", self.auth());
        }
        Self::finish(req.call())
    }

    /// A file from the API: (status, Content-Type, bytes); `nosniff` is checked on the way.
    pub fn get_bytes(&self, path: &str) -> (u16, String, Vec<u8>) {
        let mut req = self.agent.get(format!("{}{path}", self.base));
        if self.token.is_some() {
            req = req.header("Authorization", self.auth());
        }
        let mut resp = req.call().unwrap();
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let ct = header("content-type");
        if status == 200 {
            assert_eq!(header("x-content-type-options"), "nosniff");
        }
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap_or_default();
        (status, ct, bytes)
    }

    pub fn send(&self, method: &str, path: &str, body: Value) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let auth = self.auth();
        let r = match method {
            "POST" => self
                .agent
                .post(url)
                .header("Authorization", auth)
                .send_json(&body),
            "PUT" => self
                .agent
                .put(url)
                .header("Authorization", auth)
                .send_json(&body),
            "PATCH" => self
                .agent
                .patch(url)
                .header("Authorization", auth)
                .send_json(&body),
            "DELETE" => self.agent.delete(url).header("Authorization", auth).call(),
            _ => panic!("method {method}"),
        };
        Self::finish(r)
    }

    pub fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send("POST", path, body)
    }

    pub fn raw_post(&self, path: &str, content_type: &str, body: &str) -> (u16, Value) {
        let r = self
            .agent
            .post(format!("{}{path}", self.base))
            .header("Authorization", self.auth())
            .header("Content-Type", content_type)
            .send(body);
        Self::finish(r)
    }
}

/// The database behind each running test server (by its base address), so a helper that only
/// has a browser can play the security administrator's part on the command line.
static DATABASES: std::sync::Mutex<std::collections::BTreeMap<String, String>> =
    std::sync::Mutex::new(std::collections::BTreeMap::new());

/// A browser-like client: cookies, forms, no redirects followed.
pub struct Web {
    base: String,
    agent: ureq::Agent,
    /// Who logged in through `login`.
    pub username: Option<String>,
}

impl Web {
    pub fn new(base: &str) -> Web {
        Web {
            base: base.to_string(),
            agent: agent(),
            username: None,
        }
    }

    /// Posts the login form as a browser does: the form is opened first (it carries the
    /// login CSRF token and sets its cookie).
    pub fn post_login(&self, fields: &[(&str, &str)]) -> (u16, String, Option<String>) {
        let (s, page, _) = self.get("/login");
        assert_eq!(s, 200, "{page}");
        let csrf = csrf_of(&page);
        let mut form = vec![("csrf", csrf.as_str())];
        form.extend_from_slice(fields);
        self.post_form("/login", &form)
    }

    pub fn login(base: &str, username: &str) -> Web {
        let mut w = Web::new(base);
        let (status, _, location) = w.post_login(&[
            ("username", username),
            ("password", PASSWORD),
            ("next", "/"),
        ]);
        assert_eq!(status, 303, "page login of {username}");
        assert_eq!(location.as_deref(), Some("/"));
        w.username = Some(username.to_string());
        w
    }

    /// (status, body, Location header)
    pub fn get(&self, path: &str) -> (u16, String, Option<String>) {
        Self::finish(self.agent.get(format!("{}{path}", self.base)).call())
    }

    /// A download: (status, Content-Type, Content-Disposition, bytes).
    pub fn download(&self, path: &str) -> (u16, String, String, Vec<u8>) {
        let mut resp = self
            .agent
            .get(format!("{}{path}", self.base))
            .call()
            .unwrap();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        let (ct, cd) = (header("content-type"), header("content-disposition"));
        let status = resp.status().as_u16();
        let bytes = resp
            .body_mut()
            .with_config()
            .limit(64 * 1024 * 1024)
            .read_to_vec()
            .unwrap();
        (status, ct, cd, bytes)
    }

    /// A file upload form (multipart/form-data) with the page's CSRF token.
    pub fn upload(
        &self,
        path: &str,
        csrf: &str,
        file_name: &str,
        bytes: &[u8],
    ) -> (u16, String, Option<String>) {
        self.upload_with(path, &[("csrf", csrf)], file_name, bytes)
    }

    /// A multipart form post with these text fields and one file.
    pub fn upload_with(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file_name: &str,
        bytes: &[u8],
    ) -> (u16, String, Option<String>) {
        self.multipart(path, fields, &[("file", file_name, bytes)])
    }

    /// A multipart form post with text fields and files (field name, file name, bytes), as a
    /// browser sends it: an input left empty is a part with no file name and no bytes.
    pub fn multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> (u16, String, Option<String>) {
        let boundary = "----shequ-test-boundary-7d1f";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, file_name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        Self::finish(
            self.agent
                .post(format!("{}{path}", self.base))
                .header(
                    "Content-Type",
                    &format!("multipart/form-data; boundary={boundary}"),
                )
                .send(&body[..]),
        )
    }

    /// Any request with the session: (status, Content-Type, body).
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        content_type: &str,
        body: &[u8],
    ) -> (u16, String, String) {
        let url = format!("{}{path}", self.base);
        let resp = match method {
            "GET" => self.agent.get(&url).call(),
            "POST" => self
                .agent
                .post(&url)
                .header("Content-Type", content_type)
                .send(body),
            "PUT" => self
                .agent
                .put(&url)
                .header("Content-Type", content_type)
                .send(body),
            "DELETE" => self.agent.delete(&url).call(),
            other => panic!("raw: unsupported method {other}"),
        };
        let mut resp = resp.unwrap();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let status = resp.status().as_u16();
        (
            status,
            ct,
            resp.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    pub fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (u16, String, Option<String>) {
        Self::finish(
            self.agent
                .post(format!("{}{path}", self.base))
                .send_form(form.iter().copied()),
        )
    }

    fn finish(
        resp: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> (u16, String, Option<String>) {
        let mut resp = resp.unwrap();
        let status = resp.status().as_u16();
        let location = resp
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        (
            status,
            resp.body_mut().read_to_string().unwrap_or_default(),
            location,
        )
    }
}

/// The value of the first hidden csrf input of a page.
pub fn csrf_of(html: &str) -> String {
    let i = html
        .find("name=\"csrf\" value=\"")
        .expect("page has a csrf field")
        + 19;
    html[i..].split('"').next().unwrap().to_string()
}

/// Adds a user with `shequ user add` (password PASSWORD on stdin), scoped to `areas`.
pub fn add_user(db_url: &str, username: &str, role: &str, areas: &[i64]) {
    use std::io::Write;
    let mut args = vec![
        "user".to_string(),
        "add".into(),
        "--db".into(),
        db_url.into(),
        "--username".into(),
        username.into(),
        "--name".into(),
        format!("测试 {username}"),
        "--role".into(),
        role.into(),
    ];
    for a in areas {
        args.push("--area".into());
        args.push(a.to_string());
    }
    let mut child = shequ()
        .args(&args)
        .env("SHEQU_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(PASSWORD.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "user add {username}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The first value of a one-column query, as an integer.
pub fn sql_int(db: &TestDb, query: &str) -> i64 {
    let (ok, out) = db.sql(query);
    assert!(ok, "{query}: {out}");
    out.lines()
        .next()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("{query} gave {out:?}"))
}

/// The grid of the demo's grid worker `wangge` (their one scope node).
pub fn grid_of_wangge(srv: &Server) -> i64 {
    sql_int(
        &srv.db,
        "SELECT s.node_id FROM user_scopes s JOIN users u ON u.id = s.user_id WHERE u.username = 'wangge'",
    )
}

/// The route table as `shequ routes` prints it: every route with its method, path and rule.
pub fn routes() -> Vec<Value> {
    let (ok, out, err) = run(&["routes"]);
    assert!(ok, "{err}");
    serde_json::from_str::<Vec<Value>>(&out).unwrap()
}

/// A route's path with its parameters filled: `{id}` with `id` (left as is without one), and the
/// parameters that are not record ids with values that name nothing.
pub fn fill_route(path: &str, id: Option<i64>) -> String {
    let url = match id {
        Some(id) => path.replace("{id}", &id.to_string()),
        None => path.to_string(),
    }
    // Open311 names its records by file: "0102.json".
    .replace("{service_file}", "0102.json")
    .replace("{request_file}", "1.json")
    .replace("{token_file}", "no-such-token.json")
    // 居民随手拍 names its links and receipts by random slugs.
    .replace("{slug}", "no-such-link")
    .replace("{token}", "no-such-receipt")
    // The catalogue names its figures by code: one whose records are places, not people.
    .replace("{code}", "grids.standing")
    .replace("{breakdown}", "people.by_type")
    // 一表通 names its form by number after the node: the first one, if any.
    .replace("{form}", "1");
    assert!(
        !url.contains('{'),
        "route {path} has a parameter the test can't fill"
    );
    url
}

/// Commits the import whose report is at `report_url` (`report`: that page, for its CSRF token)
/// and waits for the background writer; the finished page, which must say it is done.
pub fn commit_import(web: &Web, report_url: &str, report: &str) -> String {
    let (s, _, _) = web.post_form(
        &format!("{report_url}/commit"),
        &[("csrf", &csrf_of(report))],
    );
    assert_eq!(s, 303);
    let mut done = String::new();
    for _ in 0..200 {
        let (_, page, _) = web.get(report_url);
        if page.contains("id=\"import-done\"") || page.contains("id=\"import-failed\"") {
            done = page;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(done.contains("id=\"import-done\""), "{done}");
    done
}

/// One sheet as an .xlsx file's bytes, written by the product's own writer with made-up
/// document properties (`title` among them).
pub fn xlsx_of(title: &str, sheet: shequ_office::xlsx::Sheet) -> Vec<u8> {
    let meta = shequ_office::xlsx::FileMeta {
        title: title.into(),
        author: "t".into(),
        created: shequ_domain::clock::now_local(),
        company: "t".into(),
        comment: String::new(),
    };
    shequ_office::xlsx::write(&[sheet], &meta).unwrap()
}

/// A 花名册 of made-up people under `title`: rows of 姓名, 身份证号码, 联系电话, 住址.
pub fn roster_xlsx(title: &str, rows: Vec<Vec<shequ_office::xlsx::Cell>>) -> Vec<u8> {
    let sheet = shequ_office::xlsx::Sheet {
        name: "花名册".into(),
        title: title.into(),
        note: None,
        columns: ["姓名", "身份证号码", "联系电话", "住址"]
            .iter()
            .map(|h| shequ_office::xlsx::Column::new(*h, 14.0))
            .collect(),
        rows,
    };
    xlsx_of("t", sheet)
}

/// The first room (lowest id) under `node` that someone lives in.
pub fn occupied_room(srv: &Server, node: i64) -> i64 {
    sql_int(
        &srv.db,
        &format!(
            "SELECT MIN(r.room_id) FROM residences r JOIN org_nodes n ON n.id = r.room_id \
             WHERE r.moved_out_on IS NULL \
               AND n.path LIKE (SELECT path FROM org_nodes WHERE id = {node}) || '%'"
        ),
    )
}

/// The first resident (lowest id) living under `node`, and the room they live in.
pub fn first_resident(srv: &Server, node: i64) -> (i64, i64) {
    let person = sql_int(
        &srv.db,
        &format!(
            "SELECT p.id FROM persons p JOIN org_nodes g ON g.id = {node} \
             WHERE p.living = 1 AND p.area_path > g.path AND p.area_path < g.path || 'z' \
             ORDER BY p.id LIMIT 1"
        ),
    );
    let room = sql_int(
        &srv.db,
        &format!(
            "SELECT room_id FROM residences WHERE person_id = {person} AND moved_out_on IS NULL"
        ),
    );
    (person, room)
}

/// A second district beside the demo's, founded by the system administrator, set up by its own
/// administrator `waiqu-admin` and headed by `waiqu` (community head of its one community):
/// its nodes by kind (street, community, grid, building, room).
pub fn another_district(srv: &Server) -> std::collections::BTreeMap<&'static str, i64> {
    let (s, v) = srv
        .api("admin")
        .post("/api/v1/nodes", json!({"kind": "district", "name": "外区"}));
    assert_eq!(s, 201, "{v}");
    let mut parent = v["id"].as_i64();
    add_user(&srv.db.url, "waiqu-admin", "admin", &[parent.unwrap()]);
    let admin = srv.api("waiqu-admin");
    let mut ids = std::collections::BTreeMap::new();
    for (kind, name) in [
        ("street", "外区街道"),
        ("community", "外区社区"),
        ("grid", "外区第一网格"),
        ("building", "1幢"),
        ("room", "101"),
    ] {
        let (s, v) = admin.post(
            "/api/v1/nodes",
            json!({"parent_id": parent, "kind": kind, "name": name}),
        );
        assert_eq!(s, 201, "{kind}: {v}");
        parent = v["id"].as_i64();
        ids.insert(kind, parent.unwrap());
    }
    add_user(&srv.db.url, "waiqu", "community_head", &[ids["community"]]);
    ids
}

/// The local date `n` days before today, as the forms and the API write dates.
pub fn days_ago(n: i64) -> String {
    (shequ_domain::clock::today() - chrono::Duration::days(n)).to_string()
}

/// Converts an office file with LibreOffice headless (`csv` or `pdf`); returns the output
/// file's bytes. A private profile directory per call, so parallel tests don't share a lock.
pub fn libreoffice_convert(file: &std::path::Path, to: &str) -> Vec<u8> {
    let out_dir = file.with_extension(format!("{to}-out"));
    std::fs::create_dir_all(&out_dir).unwrap();
    let profile = std::env::temp_dir().join(format!("shequ-lo-{}", unique()));
    let filter = match to {
        // UTF-8, comma-separated, quoted text: what LibreOffice shows in each cell.
        "csv" => "csv:Text - txt - csv (StarCalc):44,34,76",
        other => other,
    };
    let out = Command::new("soffice")
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            filter,
            "--outdir",
        ])
        .arg(&out_dir)
        .arg(file)
        .output()
        .expect("LibreOffice (soffice) is installed by scripts/test");
    let _ = std::fs::remove_dir_all(&profile);
    let stem = file.file_stem().unwrap().to_string_lossy().to_string();
    let result = out_dir.join(format!("{stem}.{to}"));
    let bytes = std::fs::read(&result).unwrap_or_else(|e| {
        panic!(
            "LibreOffice did not convert {} to {to} ({e}): {}{}",
            file.display(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let _ = std::fs::remove_dir_all(&out_dir);
    bytes
}

/// One part of a zip container (.xlsx/.docx), read with Python's zipfile.
pub fn zip_part(file: &std::path::Path, part: &str) -> String {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode('utf-8'))",
        ])
        .arg(file)
        .arg(part)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The one-time binding code the security administrator issues (`shequ user bind-code`).
pub fn binding_code(db_url: &str, username: &str) -> String {
    let (ok, out, err) = run(&["user", "bind-code", "--db", db_url, "--username", username]);
    assert!(ok, "bind-code {username}: {out}{err}");
    out.trim().to_string()
}

/// Binds an authenticator through the account page (with a binding code from the security
/// administrator) and passes it in this session.
pub fn pass_second_factor(web: &Web) {
    let db = DATABASES
        .lock()
        .unwrap()
        .get(&web.base)
        .cloned()
        .expect("a server started by Server::serve");
    let user = web
        .username
        .clone()
        .expect("a Web logged in with Web::login");
    let code = binding_code(&db, &user);
    let (_, account, _) = web.get("/account");
    let (_, bound, _) = web.post_form(
        "/account/totp/begin",
        &[
            ("csrf", &csrf_of(&account)),
            ("next", "/account"),
            ("binding_code", &code),
        ],
    );
    let i = bound.find("id=\"totp-secret\">").expect("secret shown") + 17;
    let secret =
        shequ_domain::access::totp::TotpSecret::from_base32(bound[i..].split('<').next().unwrap())
            .unwrap();
    let (s, _, _) = web.post_form(
        "/account/totp/verify",
        &[
            ("csrf", &csrf_of(&bound)),
            ("next", "/account"),
            (
                "code",
                &shequ_domain::access::totp::code_at(&secret, unix_now()),
            ),
        ],
    );
    assert_eq!(s, 303);
}

/// Binds an authenticator for an API client (binding code from the security administrator)
/// and passes the second factor in its session; returns the secret.
pub fn pass_second_factor_api(
    srv: &Server,
    api: &Api,
    username: &str,
) -> shequ_domain::access::totp::TotpSecret {
    let code = binding_code(&srv.db.url, username);
    let (s, v) = api.post("/api/v1/me/totp", json!({"binding_code": code}));
    assert_eq!(s, 200, "{v}");
    let secret =
        shequ_domain::access::totp::TotpSecret::from_base32(v["secret"].as_str().unwrap()).unwrap();
    let (s, v) = api.post(
        "/api/v1/session/totp",
        json!({"code": shequ_domain::access::totp::code_at(&secret, unix_now())}),
    );
    assert_eq!(s, 200, "{v}");
    secret
}

pub fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A real PNG image (uncompressed deflate blocks), `w`×`h` in one colour: photos for tests
/// that a browser can show.
pub fn png(w: u32, h: u32, rgb: [u8; 3]) -> Vec<u8> {
    fn crc32(data: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for &b in data {
            crc ^= u32::from(b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    fn chunk(out: &mut Vec<u8>, kind: &[u8], data: &[u8]) {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut body = kind.to_vec();
        body.extend_from_slice(data);
        out.extend_from_slice(&body);
        out.extend_from_slice(&crc32(&body).to_be_bytes());
    }
    let row: Vec<u8> = std::iter::once(0u8)
        .chain((0..w).flat_map(|_| rgb))
        .collect();
    let raw: Vec<u8> = (0..h).flat_map(|_| row.iter().copied()).collect();
    let mut z = vec![0x78, 0x01];
    let blocks: Vec<&[u8]> = raw.chunks(65535).collect();
    for (i, block) in blocks.iter().enumerate() {
        z.push(u8::from(i + 1 == blocks.len()));
        let len = block.len() as u16;
        z.extend_from_slice(&len.to_le_bytes());
        z.extend_from_slice(&(!len).to_le_bytes());
        z.extend_from_slice(block);
    }
    let (mut a, mut b) = (1u32, 0u32);
    for &byte in &raw {
        a = (a + u32::from(byte)) % 65521;
        b = (b + a) % 65521;
    }
    z.extend_from_slice(&((b << 16) | a).to_be_bytes());
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IDAT", &z);
    chunk(&mut out, b"IEND", &[]);
    out
}

pub fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The two photos a hazard needs, as the JSON API takes them.
pub fn hazard_photos() -> Value {
    json!([
        {"name": "近景.png", "role": "close", "content_base64": base64(&png(8, 6, [200, 40, 40]))},
        {"name": "远景.png", "role": "wide", "content_base64": base64(&png(12, 8, [40, 120, 200]))}
    ])
}
