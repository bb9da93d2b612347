//! HTTPS served directly: the session cookie is Secure, HttpOnly and SameSite, HSTS is sent, and
//! plain HTTP gets no answer on the TLS port. Without TLS there is no HSTS and no Secure flag.

use crate::support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use support::{PASSWORD, TestDb, Web, run, shequ};

fn self_signed(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let out = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("openssl is installed by scripts/test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (cert, key)
}

#[test]
fn https_sets_secure_cookies_and_hsts() {
    let db = TestDb::new();
    let (ok, out, err) = run(&[
        "demo",
        "--db",
        &db.url,
        "--people",
        "50",
        "--password",
        PASSWORD,
    ]);
    assert!(ok, "{out}{err}");
    let dir = std::env::temp_dir().join(format!("shequ-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (cert, key) = self_signed(&dir);

    // A key that doesn't exist is named in the error.
    let (ok, _, err) = run(&[
        "serve",
        "--db",
        &db.url,
        "--listen",
        "127.0.0.1:0",
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        "/nonexistent/key.pem",
    ]);
    assert!(
        !ok && err.contains("私钥文件") && err.contains("/nonexistent/key.pem"),
        "{err}"
    );

    let mut child = shequ()
        .args(["serve", "--db", &db.url, "--listen", "127.0.0.1:0"])
        .arg("--tls-cert")
        .arg(&cert)
        .arg("--tls-key")
        .arg(&key)
        .env("SHEQU_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server printed its address").unwrap();
        if let Some(rest) = line.split("https://").nth(1) {
            break rest.split('/').next().unwrap().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});

    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(30)))
        .tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(true)
                .build(),
        )
        .build()
        .into();
    let resp = log_in(&agent, &format!("https://{addr}"));
    assert_eq!(resp.status().as_u16(), 303);
    let cookie = resp
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    for flag in ["Secure", "HttpOnly", "SameSite=Lax"] {
        assert!(cookie.contains(flag), "{cookie}");
    }
    let hsts = resp
        .headers()
        .get("strict-transport-security")
        .unwrap()
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");

    // Plain HTTP to the TLS port is not served.
    let plain = agent.get(format!("http://{addr}/healthz")).call();
    assert!(
        plain.is_err(),
        "plain HTTP must not be answered on the TLS port: {:?}",
        plain.map(|r| r.status())
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);

    // Without TLS: no Secure flag (it would break the login on http://), no HSTS.
    let srv = support::Server::serve(db);
    let resp = log_in(&agent, &srv.base);
    assert_eq!(resp.status().as_u16(), 303);
    let cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && !cookie.contains("Secure"),
        "{cookie}"
    );
    assert!(resp.headers().get("strict-transport-security").is_none());
    // The session works over plain HTTP on a laptop demo.
    let web = Web::login(&srv.base, "shuji");
    assert_eq!(web.get("/account").0, 200);
}

/// Logs `shuji` in as a browser does: the login form first (it carries the login CSRF token and
/// sets the cookie that token is checked against), then the form sent back with both.
fn log_in(agent: &ureq::Agent, base: &str) -> ureq::http::Response<ureq::Body> {
    let form = agent.get(format!("{base}/login")).call().unwrap();
    let pre_cookie = form
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or_default()
        .to_string();
    let page = form.into_body().read_to_string().unwrap();
    let csrf = support::csrf_of(&page);
    agent
        .post(format!("{base}/login"))
        .header("cookie", &pre_cookie)
        .send_form([
            ("csrf", csrf.as_str()),
            ("username", "shuji"),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .unwrap()
}
