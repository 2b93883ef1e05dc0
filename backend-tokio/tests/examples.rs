//! The examples, run as programs against CPython asyncio and each other.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Kills a child process when the test ends, however it ends.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The path of an example binary. The first call builds the examples of
/// every package (`cargo test -p weir-tokio` builds only weir-tokio's), so
/// none is stale.
fn example(name: &str) -> PathBuf {
    static BUILT: std::sync::Once = std::sync::Once::new();
    BUILT.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["build", "--examples"])
            .args([
                "-p",
                "weir-tokio",
                "-p",
                "weir-smol",
                "-p",
                "weir-async-std",
            ])
            .args(["-p", "weir-proto"])
            .status()
            .unwrap()
            .success();
        assert!(ok, "building the examples failed");
    });
    let dir = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples");
    let path = dir.join(name);
    assert!(path.exists(), "no example {}", path.display());
    path
}

/// Waits for `child` at most `secs`, then returns its output.
/// Runs an example to its end (15 s at most) with `args`, capturing its
/// standard output and error.
fn run_example<S: AsRef<std::ffi::OsStr>>(name: &str, args: &[S]) -> Output {
    finish(
        Command::new(example(name))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
        15,
    )
}

fn finish(child: Child, secs: u64) -> Output {
    let mut child = Reap(child);
    let deadline = Instant::now() + Duration::from_secs(secs);
    while child.0.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "the process did not finish in {secs} s"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut out = Output {
        status: child.0.wait().unwrap(),
        stdout: Vec::new(),
        stderr: Vec::new(),
    };
    if let Some(mut s) = child.0.stdout.take() {
        s.read_to_end(&mut out.stdout).unwrap();
    }
    if let Some(mut s) = child.0.stderr.take() {
        s.read_to_end(&mut out.stderr).unwrap();
    }
    out
}

/// Starts a program that prints one line naming where it listens; returns
/// the process and that line.
fn listening(cmd: &mut Command) -> (Reap, String) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (Reap(child), line)
}

fn port_of(serving_line: &str) -> u16 {
    let addr = serving_line
        .trim()
        .strip_prefix("Serving on ")
        .unwrap_or_else(|| panic!("unexpected first line {serving_line:?}"));
    addr.rsplit(':').next().unwrap().parse().unwrap()
}

/// asyncio's documented echo client, with a port argument.
const DOC_CLIENT: &str = r#"
import asyncio, sys
async def tcp_echo_client(message):
    reader, writer = await asyncio.open_connection('127.0.0.1', int(sys.argv[1]))
    print(f'Send: {message!r}')
    writer.write(message.encode())
    data = await reader.read(100)
    print(f'Received: {data.decode()!r}')
    print('Close the connection')
    writer.close()
asyncio.run(asyncio.wait_for(tcp_echo_client('Hello World!'), 10))
"#;

#[test]
fn cpython_doc_client_against_the_echo_server_example() {
    for mode in ["bytes", "lines"] {
        let (_server, line) =
            listening(Command::new(example("echo_server")).args(["--port", "0", "--mode", mode]));
        let port = port_of(&line);
        let msg = if mode == "lines" {
            "Hello World!\\n"
        } else {
            "Hello World!"
        };
        let client = Command::new("python3")
            .args([
                "-c",
                &DOC_CLIENT.replace("'Hello World!'", &format!("'{msg}'")),
            ])
            .arg(port.to_string())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3");
        let out = finish(client, 15);
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains(&format!("Received: '{msg}'")),
            "{mode}: {text}"
        );
    }
}

/// asyncio's documented echo server, on a port of its choosing.
const DOC_SERVER: &str = r#"
import asyncio
async def handle_echo(reader, writer):
    data = await reader.read(100)
    writer.write(data)
    await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(handle_echo, '127.0.0.1', 0)
    print(f'Serving on 127.0.0.1:{server.sockets[0].getsockname()[1]}', flush=True)
    async with server:
        await asyncio.sleep(15)
asyncio.run(main())
"#;

#[test]
fn the_echo_client_example_against_cpython_doc_server() {
    let (_server, line) = listening(Command::new("python3").args(["-c", DOC_SERVER]));
    let port = port_of(&line);
    let client = Command::new(example("echo_client"))
        .args(["--port", &port.to_string(), "--message", "weir says hi"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish(client, 15);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Received: \"weir says hi\""), "{text}");
}

#[test]
fn the_examples_talk_to_each_other_and_wait_for_data_works() {
    let (_server, line) = listening(Command::new(example("echo_server")).args(["--port", "0"]));
    let port = port_of(&line);
    let client = Command::new(example("echo_client"))
        .args(["--port", &port.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let text = String::from_utf8(finish(client, 15).stdout).unwrap();
    assert!(text.contains("Received: \"Hello World!\""), "{text}");

    let w = Command::new(example("wait_for_data"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let text = String::from_utf8(finish(w, 15).stdout).unwrap();
    assert_eq!(text.trim(), "Received: abc");
}

#[test]
fn http_headers_example_against_a_local_http_server() {
    let mut cmd = Command::new("python3");
    cmd.args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"]);
    let (_server, line) = listening(&mut cmd);
    // "Serving HTTP on 127.0.0.1 port 12345 (http://127.0.0.1:12345/) ..."
    let port: u16 = line
        .split_whitespace()
        .skip_while(|w| *w != "port")
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    let h = Command::new(example("http_headers"))
        .arg(format!("http://127.0.0.1:{port}/"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish(h, 15);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let first = text.lines().next().unwrap_or_default();
    assert!(first.starts_with("HTTP header> HTTP/1.0 200"), "{text}");
    assert!(
        text.lines().all(|l| l.starts_with("HTTP header> ")),
        "{text}"
    );
}

/// A fresh temp dir for one test's files.
fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("weir-examples-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// CPython's http.server behind TLS, printing `port N` once listening.
const PY_HTTPS: &str = r#"
import http.server, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(sys.argv[1], sys.argv[2])
httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
print("port", httpd.server_address[1], flush=True)
httpd.serve_forever()
"#;

#[test]
fn http_headers_example_over_https_with_cafile() {
    let dir = temp_dir("https");
    weir_stream::tls::testing::ThrowawayPki::new(&["localhost", "127.0.0.1"])
        .unwrap()
        .write_to(&dir)
        .unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg("-c")
        .arg(PY_HTTPS)
        .arg(dir.join("cert.pem"))
        .arg(dir.join("key.pem"))
        .current_dir(&dir);
    let (_server, line) = listening(&mut cmd);
    let port: u16 = line
        .trim()
        .strip_prefix("port ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    let h = Command::new(example("http_headers"))
        .arg(format!("https://localhost:{port}/"))
        .arg("--cafile")
        .arg(dir.join("ca.pem"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish(h, 15);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.starts_with("HTTP header> HTTP/1.0 200"), "{text}");
    // Without the CA, the same request fails with a clear error.
    let h = Command::new(example("http_headers"))
        .arg(format!("https://localhost:{port}/"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish(h, 15);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not trusted"), "{err}");
}

#[test]
fn starttls_examples_talk_to_each_other() {
    let dir = temp_dir("starttls");
    let ca = dir.join("ca.pem");
    let mut cmd = Command::new(example("starttls_server"));
    cmd.args(["--port", "0", "--ca-out"]).arg(&ca);
    let (_server, line) = listening(&mut cmd);
    let port = port_of(&line);
    let c = Command::new(example("starttls_client"))
        .args([
            "--host",
            "localhost",
            "--port",
            &port.to_string(),
            "--message",
            "hello tls",
        ])
        .arg("--cafile")
        .arg(&ca)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = finish(c, 15);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "S: 220 weir STARTTLS demo");
    assert_eq!(lines[2], "S: 220 ready to start TLS");
    assert!(lines[3].starts_with("-- TLS Some(TLSv1_3)"), "{text}");
    assert_eq!(lines[5], "S: 250 hello tls");
    assert_eq!(lines[6], "S: 221 bye");
}

/// Every example program, on every backend.
const EXAMPLES: [&str; 18] = [
    "echo_server",
    "echo_client",
    "http_headers",
    "wait_for_data",
    "echo_server_smol",
    "echo_client_smol",
    "http_headers_smol",
    "wait_for_data_smol",
    "echo_server_async_std",
    "echo_client_async_std",
    "http_headers_async_std",
    "wait_for_data_async_std",
    "memcached_client",
    "redis_client",
    "redis_bench",
    "starttls_client",
    "starttls_server",
    "sync_line_client",
];

#[test]
fn every_example_has_help_and_refuses_a_bad_flag() {
    for name in EXAMPLES {
        let out = run_example(name, &["--help"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name} --help: {text}");
        assert!(text.contains("Usage: "), "{name} --help: {text}");
        assert!(text.contains(name), "{name} --help names itself: {text}");

        let out = run_example(name, &["--no-such-flag"]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{name} --no-such-flag: {err}");
        assert!(err.contains("--no-such-flag"), "{name}: {err}");
        assert!(out.stdout.is_empty(), "{name} printed on a bad flag");
    }
}

#[test]
fn http_headers_without_a_url_prints_its_usage() {
    for name in [
        "http_headers",
        "http_headers_smol",
        "http_headers_async_std",
    ] {
        let out = run_example(name, &[] as &[&str]);
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{name}: {all}");
        assert!(
            all.contains("Usage: ") && all.contains("<URL>"),
            "{name}: {all}"
        );
        assert!(
            !all.contains("HTTP header> HTTP/"),
            "{name} fetched something: {all}"
        );
    }
}

#[test]
fn errors_are_one_sentence_with_exit_code_1() {
    // A port that is taken, and one nobody listens on.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    for name in ["echo_server", "echo_server_smol", "echo_server_async_std"] {
        let out = run_example(name, &["--port", &port]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert_eq!(
            err,
            format!("{name}: cannot listen on 127.0.0.1:{port}: address already in use\n")
        );
    }
    drop(taken);
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port().to_string();
    drop(free);
    for name in ["echo_client", "echo_client_smol", "echo_client_async_std"] {
        let out = run_example(name, &["--port", &port]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.starts_with(&format!("{name}: cannot connect to 127.0.0.1:{port}: ")),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            !err.contains("Os {") && !err.contains("kind:"),
            "Debug: {err}"
        );
    }
}

#[test]
fn every_backend_echo_client_talks_to_every_backend_echo_server() {
    for server in ["echo_server", "echo_server_smol", "echo_server_async_std"] {
        let (_server, line) = listening(Command::new(example(server)).args([
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--mode",
            "bytes",
        ]));
        let port = port_of(&line).to_string();
        for client in ["echo_client", "echo_client_smol", "echo_client_async_std"] {
            let out = run_example(
                client,
                &["--port", &port, "--message", &format!("hi from {client}")],
            );
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success(),
                "{client} -> {server}: {text}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert_eq!(
                text,
                format!(
                    "Send: \"hi from {client}\"\nReceived: \"hi from {client}\"\nClose the connection\n"
                ),
                "{client} -> {server}"
            );
        }
    }
}

#[test]
fn wait_for_data_on_every_backend() {
    for name in [
        "wait_for_data",
        "wait_for_data_smol",
        "wait_for_data_async_std",
    ] {
        let out = run_example(name, &[] as &[&str]);
        assert!(out.status.success(), "{name}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "Received: abc\n",
            "{name}"
        );
    }
}

#[test]
fn http_headers_on_smol_and_async_std_against_a_local_http_server() {
    let mut cmd = Command::new("python3");
    cmd.args(["-u", "-m", "http.server", "0", "--bind", "127.0.0.1"]);
    let (_server, line) = listening(&mut cmd);
    let port: u16 = line
        .split_whitespace()
        .skip_while(|w| *w != "port")
        .nth(1)
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .parse()
        .unwrap();
    for name in ["http_headers_smol", "http_headers_async_std"] {
        let out = run_example(name, &[format!("http://127.0.0.1:{port}/")]);
        assert!(out.status.success(), "{name}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.starts_with("HTTP header> HTTP/1.0 200"),
            "{name}: {text}"
        );
    }
}
