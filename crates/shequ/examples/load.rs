//! The 64-connection load generator of `scripts/bench` (issue 12, point 7): N keep-alive
//! HTTP/1.1 connections, each sending one GET after another for a fixed time, against one
//! server.
//!
//!   load URL SECONDS CONNS PATHS_FILE [TOKEN] [SERVER_PID]
//!
//! PATHS_FILE holds one request path per line (already percent-encoded); connection i starts
//! at line i and walks the list round-robin. TOKEN, when not empty, is sent as a bearer token.
//! SERVER_PID names the server process whose peak resident memory (VmHWM) is reported.
//!
//! Prints key=value lines: requests, errors, rps, p50_ms, p99_ms, max_ms, and peak_rss_mb when
//! a server pid is given. Plain std threads and sockets: the generator must not share the
//! server's runtime or add to its dependencies, and a thread per connection is what a browser
//! crowd looks like to the server anyway.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

struct Outcome {
    latencies_us: Vec<u64>,
    errors: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        eprintln!("usage: load URL SECONDS CONNS PATHS_FILE [TOKEN] [SERVER_PID]");
        std::process::exit(2);
    }
    let host = args[1]
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let seconds: f64 = args[2].parse().expect("SECONDS");
    let conns: usize = args[3].parse().expect("CONNS");
    let paths: Vec<String> = std::fs::read_to_string(&args[4])
        .expect("PATHS_FILE")
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    assert!(!paths.is_empty(), "PATHS_FILE is empty");
    let token = args.get(5).filter(|t| !t.is_empty()).cloned();
    let pid = args.get(6).cloned();

    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(seconds);
    let handles: Vec<_> = (0..conns)
        .map(|i| {
            let (host, paths, token) = (host.clone(), paths.clone(), token.clone());
            std::thread::spawn(move || run(&host, &paths, i, token.as_deref(), deadline))
        })
        .collect();
    let mut all = Vec::new();
    let mut errors = 0;
    for h in handles {
        let o = h.join().expect("load thread");
        all.extend(o.latencies_us);
        errors += o.errors;
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct = |p: f64| {
        if all.is_empty() {
            return 0.0;
        }
        let i = ((all.len() as f64 * p).ceil() as usize).clamp(1, all.len()) - 1;
        all[i] as f64 / 1000.0
    };
    println!("requests={}", all.len());
    println!("errors={errors}");
    println!("rps={:.1}", all.len() as f64 / elapsed);
    println!("p50_ms={:.2}", pct(0.50));
    println!("p99_ms={:.2}", pct(0.99));
    println!("max_ms={:.2}", pct(1.0));
    if let Some(pid) = pid {
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("server pid");
        for key in ["VmHWM:", "VmRSS:", "Threads:"] {
            if let Some(line) = status.lines().find(|l| l.starts_with(key)) {
                let n: f64 = line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0.0);
                match key {
                    "VmHWM:" => println!("peak_rss_mb={:.1}", n / 1024.0),
                    "VmRSS:" => println!("rss_mb={:.1}", n / 1024.0),
                    _ => println!("threads={n}"),
                }
            }
        }
    }
}

/// One keep-alive connection: requests back to back until the deadline; a connection the
/// server closed (or an error) is reopened and counted as an error.
fn run(
    host: &str,
    paths: &[String],
    start: usize,
    token: Option<&str>,
    deadline: Instant,
) -> Outcome {
    let mut out = Outcome {
        latencies_us: Vec::new(),
        errors: 0,
    };
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    let mut i = start;
    let mut conn: Option<(TcpStream, BufReader<TcpStream>)> = None;
    while Instant::now() < deadline {
        if conn.is_none() {
            let s = match TcpStream::connect(host) {
                Ok(s) => s,
                Err(_) => {
                    out.errors += 1;
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            s.set_nodelay(true).ok();
            s.set_read_timeout(Some(Duration::from_secs(30))).ok();
            let r = BufReader::new(s.try_clone().expect("clone socket"));
            conn = Some((s, r));
        }
        let (w, r) = conn.as_mut().expect("connected above");
        let path = &paths[i % paths.len()];
        i += 1;
        let req = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n");
        let t = Instant::now();
        let ok = w.write_all(req.as_bytes()).is_ok() && matches!(read_response(r), Ok(200));
        let us = t.elapsed().as_micros() as u64;
        if ok {
            out.latencies_us.push(us);
        } else {
            out.errors += 1;
            conn = None;
        }
    }
    out
}

/// Reads one response (Content-Length or chunked body) and returns its status.
fn read_response(r: &mut BufReader<TcpStream>) -> std::io::Result<u16> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "bad response");
    let mut line = String::new();
    if r.read_line(&mut line)? == 0 {
        return Err(std::io::ErrorKind::UnexpectedEof.into());
    }
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let (mut length, mut chunked) = (0usize, false);
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        let (k, v) = l.split_once(':').ok_or_else(bad)?;
        if k.eq_ignore_ascii_case("content-length") {
            length = v.trim().parse().map_err(|_| bad())?;
        } else if k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked") {
            chunked = true;
        }
    }
    if !chunked {
        std::io::copy(&mut r.by_ref().take(length as u64), &mut std::io::sink())?;
        return Ok(status);
    }
    loop {
        line.clear();
        r.read_line(&mut line)?;
        let size = usize::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
            .map_err(|_| bad())?;
        std::io::copy(&mut r.by_ref().take(size as u64 + 2), &mut std::io::sink())?;
        if size == 0 {
            return Ok(status);
        }
    }
}
