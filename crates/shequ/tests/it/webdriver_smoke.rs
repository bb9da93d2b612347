//! Smoke test of the WebDriver test client (`support/webdriver.rs`) against a
//! tiny static page served from this test; it does not involve shequ itself.
//! Needs chromium + chromedriver (scripts/test installs them).

use crate::support::webdriver;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::Duration;

use serde_json::json;
use webdriver::Browser;

const PAGE: &str = r#"<!doctype html>
<html lang="zh-CN">
<head><meta charset="utf-8"><title>冒烟测试</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
</head>
<body>
<h1>社区工作台</h1>
<form id="f" onsubmit="return false">
  <label for="name">姓名</label>
  <input id="name" name="name" value="初始值" data-kind="人名">
  <input id="hidden" type="hidden" name="token" value="t">
  <button id="go" type="button">提交</button>
</form>
<p id="out">尚未提交</p>
<p id="invisible" style="display:none">看不见</p>
<script>
document.getElementById('go').addEventListener('click', function () {
  var name = document.getElementById('name').value;
  // Asynchronous on purpose: the test must wait for it.
  setTimeout(function () {
    document.getElementById('out').textContent = '你好，' + name + '！';
  }, 300);
});
</script>
</body>
</html>
"#;

/// Serve `PAGE` for every request on a loopback port; returns the base URL.
fn serve_page() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            // One thread per connection: Chromium opens speculative
            // connections that may never send a request.
            thread::spawn(move || handle(stream));
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn handle(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut buf = Vec::new();
    let mut chunk = [0u8; 1024];
    while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    }
    let request_line = String::from_utf8_lossy(&buf);
    let (status, ctype, body) = if request_line.starts_with("GET / ") {
        ("200 OK", "text/html; charset=utf-8", PAGE)
    } else {
        ("404 Not Found", "text/plain; charset=utf-8", "not found")
    };
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body.as_bytes());
}

#[test]
fn base64_decoder() {
    use webdriver::base64_decode;
    assert_eq!(base64_decode("").unwrap(), b"");
    assert_eq!(base64_decode("aGVsbG8=").unwrap(), b"hello");
    assert_eq!(base64_decode("aGVsbG8h").unwrap(), b"hello!");
    assert_eq!(base64_decode("aGk=").unwrap(), b"hi");
    assert_eq!(base64_decode("aA==").unwrap(), b"h");
    assert_eq!(base64_decode("5L2g5aW9\n").unwrap(), "你好".as_bytes());
    assert_eq!(base64_decode("+/8=").unwrap(), [0xfb, 0xff]);
    assert!(base64_decode("a$==").is_err());
    assert!(base64_decode("aGk=aGk=").is_err());
}

#[test]
fn drives_a_page_in_headless_chromium() {
    let base = serve_page();
    let browser = Browser::start().expect("start browser");

    browser.goto(&format!("{base}/")).unwrap();
    assert_eq!(browser.current_url().unwrap(), format!("{base}/"));
    assert_eq!(browser.title().unwrap(), "冒烟测试");
    assert_eq!(browser.find("h1").unwrap().text().unwrap(), "社区工作台");

    // Inputs: attribute vs. property, clear + send_keys.
    let input = browser.find("#name").unwrap();
    assert_eq!(input.attr("data-kind").unwrap().as_deref(), Some("人名"));
    assert_eq!(input.attr("no-such-attr").unwrap(), None);
    assert_eq!(input.value().unwrap(), "初始值");
    input.clear().unwrap();
    input.send_keys("张三").unwrap();
    assert_eq!(input.value().unwrap(), "张三");
    assert_eq!(input.attr("value").unwrap().as_deref(), Some("初始值"));

    assert_eq!(browser.find_all("form input").unwrap().len(), 2);
    assert!(browser.find_all(".nothing").unwrap().is_empty());
    assert!(browser.find("#name").unwrap().is_displayed().unwrap());
    assert!(!browser.find("#invisible").unwrap().is_displayed().unwrap());

    // The button updates the text asynchronously.
    assert_eq!(browser.find("#out").unwrap().text().unwrap(), "尚未提交");
    browser.find("#go").unwrap().click().unwrap();
    let out = browser
        .wait_until_text_contains("#out", "你好，张三！", Duration::from_secs(5))
        .unwrap();
    assert_eq!(out.text().unwrap(), "你好，张三！");

    // wait_for on something that never appears times out with the selector.
    let err = browser
        .wait_for("#never-there", Duration::from_millis(300))
        .unwrap_err();
    assert!(err.contains("#never-there"), "{err}");
    assert!(err.contains("no such element"), "{err}");
    let err = browser.find("#[bad").unwrap_err();
    assert!(
        err.contains("#[bad") && err.contains("invalid selector"),
        "{err}"
    );
    let err = browser
        .wait_until_text_contains("#out", "不会出现", Duration::from_millis(300))
        .unwrap_err();
    assert!(err.contains("你好，张三！"), "{err}");

    // JavaScript, with plain and element arguments.
    let v = browser
        .execute(
            "return arguments[0] + arguments[1];",
            vec![json!(40), json!(2)],
        )
        .unwrap();
    assert_eq!(v, json!(42));
    let v = browser
        .execute("return arguments[0].id;", vec![out.as_arg()])
        .unwrap();
    assert_eq!(v, json!("out"));
    let v = browser
        .execute(
            "return [window.innerWidth, document.documentElement.lang];",
            vec![],
        )
        .unwrap();
    assert_eq!(v, json!([375, "zh-CN"]));
    let err = browser
        .execute("throw new Error('坏了');", vec![])
        .unwrap_err();
    assert!(err.contains("坏了"), "{err}");

    assert!(browser.page_source().unwrap().contains("社区工作台"));

    // Screenshot: a PNG of the 375 px wide viewport.
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("webdriver_smoke.png");
    browser.screenshot_png(&path).unwrap();
    let png = std::fs::read(&path).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let width = u32::from_be_bytes(png[16..20].try_into().unwrap());
    assert_eq!(width, 375);
}

#[test]
fn window_size_is_configurable() {
    let browser = Browser::start_with_size(1280, 800).expect("start browser");
    browser.goto("about:blank").unwrap();
    let v = browser
        .execute("return window.innerWidth;", vec![])
        .unwrap();
    assert_eq!(v, json!(1280));
}
