//! CPython asyncio as the peer, byte-exact.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::*;

/// Kills the child when the test ends, however it ends.
struct Reap(Child);

impl Drop for Reap {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Every byte value, in lines and across chunk boundaries.
fn payload() -> Vec<u8> {
    let mut v = Vec::new();
    for i in 0..2000u32 {
        v.extend(
            (0..=255u8)
                .filter(|b| *b != b'\n')
                .take((i % 200) as usize + 1),
        );
        v.push(b'\n');
    }
    v
}

const CLIENT: &str = r#"
import asyncio, sys
async def main(port):
    reader, writer = await asyncio.open_connection('127.0.0.1', port)
    data = sys.stdin.buffer.read()
    writer.write(data)
    await writer.drain()
    writer.write_eof()
    echoed = await reader.read()
    writer.close()
    await writer.wait_closed()
    sys.stdout.buffer.write(echoed)
asyncio.run(asyncio.wait_for(main(int(sys.argv[1])), 15))
"#;

e2e! {
    async fn cpython_client_against_weir_echo_server() {
        let (_server, addr) = echo_server().await;
        let data = payload();
        let input = data.clone();
        let out = in_thread(move || {
            let mut child = Command::new("python3")
                .args(["-c", CLIENT, &addr.port().to_string()])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("python3 is needed for the interop tests");
            let mut stdin = child.stdin.take().unwrap();
            std::thread::spawn(move || std::io::Write::write_all(&mut stdin, &input));
            child.wait_with_output().unwrap()
        })
        .await;
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        assert_eq!(out.stdout.len(), data.len());
        assert!(out.stdout == data, "CPython received different bytes");
    }
}

const SERVER: &str = r#"
import asyncio, sys
async def handle(reader, writer):
    while True:
        line = await reader.readline()
        if not line:
            break
        writer.write(line[::-1][1:] + b'\n' if line.endswith(b'\n') else line[::-1])
        await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(handle, '127.0.0.1', 0)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await asyncio.sleep(15)
asyncio.run(main())
"#;

e2e! {
    async fn weir_client_against_cpython_start_server() {
        let (port, _reap) = in_thread(|| {
            let mut child = Command::new("python3")
                .args(["-c", SERVER])
                .stdout(Stdio::piped())
                .spawn()
                .expect("python3 is needed for the interop tests");
            let mut line = String::new();
            BufReader::new(child.stdout.take().unwrap())
                .read_line(&mut line)
                .unwrap();
            (line.trim().parse::<u16>().expect("CPython printed its port"), Reap(child))
        })
        .await;
        let (r, w) = backend::open_connection("127.0.0.1", port).await.unwrap();
        let data = payload();
        w.write(&data).unwrap();
        w.write_eof().unwrap();
        let mut expect = Vec::new();
        for line in data.split_inclusive(|b| *b == b'\n') {
            let body = &line[..line.len() - 1];
            expect.extend(body.iter().rev());
            expect.push(b'\n');
        }
        let got = backend::timeout(Duration::from_secs(15), r.read_to_end())
            .await
            .expect("CPython answered")
            .unwrap();
        assert_eq!(got.len(), expect.len());
        assert!(got == expect, "weir received different bytes");
        w.close();
        soon(w.wait_closed()).await.unwrap();
    }
}
